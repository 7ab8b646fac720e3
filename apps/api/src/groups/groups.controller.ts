import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { GroupsService } from '../../../../libs/core/src/groups/groups.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';
import { PageQueryDto } from '../common/dto.js';
import { CreateGroupDto, GroupDto, GroupPageDto } from './groups.dto.js';

@ApiTags('groups')
@Controller('v1/instances/:instanceId/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @Authenticated(404, 409)
  @ApiOperation({ summary: 'Create a GroupId (RAM mq:CreateMqttGroupId)' })
  @ApiCreatedResponse({ type: GroupDto })
  create(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: CreateGroupDto): Promise<GroupDto> {
    return this.groups.create(caller, instanceId, dto.groupId);
  }

  @Get()
  @Authenticated(404)
  @ApiOperation({ summary: 'List GroupIds (RAM mq:ListMqttGroupId)' })
  @ApiOkResponse({ type: GroupPageDto })
  list(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Query() q: PageQueryDto): Promise<GroupPageDto> {
    return this.groups.list(caller, instanceId, q.toPage());
  }

  @Get(':groupId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Get one GroupId (RAM mq:ListMqttGroupId)' })
  @ApiOkResponse({ type: GroupDto })
  get(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('groupId') groupId: string): Promise<GroupDto> {
    return this.groups.get(caller, instanceId, groupId);
  }

  @Delete(':groupId')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Delete a GroupId; its connected clients are disconnected (RAM mq:DeleteMqttGroupId)' })
  @ApiNoContentResponse()
  delete(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('groupId') groupId: string): Promise<void> {
    return this.groups.delete(caller, instanceId, groupId);
  }
}
