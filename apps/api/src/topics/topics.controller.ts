import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { TopicsService } from '../../../../libs/core/src/topics/topics.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';
import { PageQueryDto } from '../common/dto.js';
import { CreateTopicDto, TopicDto, TopicPageDto, UpdateTopicDto } from './topics.dto.js';

@ApiTags('topics')
@Controller('v1/instances/:instanceId/topics')
export class TopicsController {
  constructor(private readonly topics: TopicsService) {}

  @Post()
  @Authenticated(404, 409)
  @ApiOperation({ summary: 'Create a parent topic (RAM mq:CreateMqttTopic)' })
  @ApiCreatedResponse({ type: TopicDto })
  create(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: CreateTopicDto): Promise<TopicDto> {
    return this.topics.create(caller, instanceId, dto);
  }

  @Get()
  @Authenticated(404)
  @ApiOperation({ summary: 'List parent topics (RAM mq:ListMqttTopic)' })
  @ApiOkResponse({ type: TopicPageDto })
  list(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Query() q: PageQueryDto): Promise<TopicPageDto> {
    return this.topics.list(caller, instanceId, q.toPage());
  }

  @Patch(':topic')
  @Authenticated(404)
  @ApiOperation({ summary: 'Change the remark of a parent topic (RAM mq:UpdateMqttTopic)' })
  @ApiOkResponse({ type: TopicDto })
  update(
    @CurrentCaller() caller: Caller,
    @Param('instanceId') instanceId: string,
    @Param('topic') topic: string,
    @Body() dto: UpdateTopicDto,
  ): Promise<TopicDto> {
    return this.topics.update(caller, instanceId, topic, dto);
  }

  @Delete(':topic')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Delete a parent topic; clients using it lose access (RAM mq:DeleteMqttTopic)' })
  @ApiNoContentResponse()
  delete(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('topic') topic: string): Promise<void> {
    return this.topics.delete(caller, instanceId, topic);
  }
}
