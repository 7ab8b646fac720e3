import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { InstancesService } from '../../../../libs/core/src/instances/instances.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';
import { PageQueryDto } from '../common/dto.js';
import { CreateInstanceDto, InstanceDto, InstancePageDto, UpdateInstanceDto } from './instances.dto.js';

@ApiTags('instances')
@Controller('v1/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @Authenticated(409)
  @ApiOperation({ summary: 'Create an instance (RAM mq:CreateInstance)' })
  @ApiCreatedResponse({ type: InstanceDto })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateInstanceDto): Promise<InstanceDto> {
    return this.instances.create(caller, dto);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'List the instances this key may see (RAM mq:ListInstances)' })
  @ApiOkResponse({ type: InstancePageDto })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<InstancePageDto> {
    return this.instances.list(caller, q.toPage());
  }

  @Get(':instanceId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Get one instance (RAM mq:ListInstances)' })
  @ApiOkResponse({ type: InstanceDto })
  get(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string): Promise<InstanceDto> {
    return this.instances.get(caller, instanceId);
  }

  @Patch(':instanceId')
  @Authenticated(404, 409)
  @ApiOperation({ summary: 'Rename, re-remark or change limits (RAM mq:UpdateInstance)' })
  @ApiOkResponse({ type: InstanceDto })
  update(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: UpdateInstanceDto): Promise<InstanceDto> {
    return this.instances.update(caller, instanceId, dto);
  }

  @Delete(':instanceId')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Delete an instance and everything in it (RAM mq:DeleteInstance)' })
  @ApiNoContentResponse()
  delete(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string): Promise<void> {
    return this.instances.delete(caller, instanceId);
  }
}
