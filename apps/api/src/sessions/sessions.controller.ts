import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsDefined, IsString } from 'class-validator';
import { Transform } from 'class-transformer';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { BrokerCommandsService } from '../../../../libs/core/src/broker-commands/broker-commands.service.js';
import { MAX_BATCH_CLIENT_IDS, SessionsService } from '../../../../libs/core/src/sessions/sessions.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';

export class SessionDto {
  @ApiProperty() clientId: string;
  @ApiProperty() online: boolean;
  @ApiPropertyOptional({ nullable: true, type: Date }) connectTime: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) disconnectTime: Date | null;
  @ApiPropertyOptional({ nullable: true, type: String, example: '10.0.0.7:51234' }) clientIp: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'One per TCP/WebSocket connection.' }) channelId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Broker worker holding the connection.' }) nodeId: string | null;
  @ApiProperty({ type: [String], description: 'Topic filters of the live session.' }) subscriptions: string[];
}

export class OnlineStatusDto {
  @ApiProperty() clientId: string;
  @ApiProperty() online: boolean;
}

export class BatchQueryDto {
  @ApiProperty({ type: [String], description: `1-${MAX_BATCH_CLIENT_IDS} ClientIds (repeat the parameter or separate with commas).` })
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value))
  @IsDefined() @IsString({ each: true }) @ArrayMinSize(1) @ArrayMaxSize(MAX_BATCH_CLIENT_IDS) clientIds: string[];
}

@ApiTags('sessions')
@Controller('v1/instances/:instanceId/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly commands: BrokerCommandsService,
  ) {}

  @Get()
  @Authenticated(404)
  @ApiOperation({ summary: 'Online status of up to 10 ClientIds (BatchQuerySessionByClientIds)' })
  @ApiOkResponse({ type: [OnlineStatusDto] })
  batch(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Query() q: BatchQueryDto): Promise<OnlineStatusDto[]> {
    return this.sessions.batchOnline(caller, instanceId, q.clientIds);
  }

  @Get(':clientId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Session of a ClientId: online, last connection, subscriptions (QuerySessionByClientId, richer)' })
  @ApiOkResponse({ type: SessionDto })
  get(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<SessionDto> {
    return this.sessions.get(caller, instanceId, clientId);
  }

  @Post(':clientId/close')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Close the connection of a ClientId on whichever worker holds it (CloseConnection)' })
  @ApiNoContentResponse()
  close(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<void> {
    return this.commands.closeConnection(caller, instanceId, clientId);
  }
}
