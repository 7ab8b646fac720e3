import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString } from 'class-validator';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { BrokerCommandsService } from '../../../../libs/core/src/broker-commands/broker-commands.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';

export class SendMessageDto {
  @ApiProperty({ example: 'sensors/room1', description: 'Full topic under a parent topic; `<parent>/p2p/<ClientId>` reaches one client.' })
  @IsDefined() @IsString() topic: string;

  @ApiProperty({ example: 'hello' })
  @IsDefined() @IsString() payload: string;

  @ApiPropertyOptional({ enum: ['utf8', 'base64'], default: 'utf8', description: 'How `payload` is encoded; base64 for binary payloads.' })
  @IsOptional() @IsIn(['utf8', 'base64']) payloadEncoding?: 'utf8' | 'base64';
}

export class SendMessageResultDto {
  @ApiProperty({ example: '0B736D997B7F45FF54E61C1C1B58A1B2', description: '32 hex characters.' }) msgId: string;
}

@ApiTags('messages')
@Controller('v1/instances/:instanceId/messages')
export class MessagesController {
  constructor(private readonly commands: BrokerCommandsService) {}

  @Post()
  @Authenticated(404)
  @ApiOperation({ summary: 'Publish a message (QoS 1) to devices (SendMessage; RAM mq:SendMessage)' })
  @ApiCreatedResponse({ type: SendMessageResultDto })
  send(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: SendMessageDto): Promise<SendMessageResultDto> {
    return this.commands.sendMessage(caller, instanceId, dto.topic, Buffer.from(dto.payload, dto.payloadEncoding ?? 'utf8'));
  }
}
