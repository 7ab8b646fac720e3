import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { DEFAULT_LIMITS } from '../../../../libs/core/src/instances/instance.entity.js';
import type { InstanceView } from '../../../../libs/core/src/instances/instances.service.js';
import { PageMetaDto } from '../common/dto.js';

export class InstanceLimitsDto {
  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxConnections, description: 'Concurrent MQTT connections.' })
  @IsOptional() @IsInt() maxConnections?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxMessagesPerSecond, description: 'Inbound PUBLISH packets per second, whole instance.' })
  @IsOptional() @IsInt() maxMessagesPerSecond?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxPayloadBytes, description: 'Largest accepted payload (bytes).' })
  @IsOptional() @IsInt() maxPayloadBytes?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxSubscriptionsPerClient, description: 'Topic filters one client may hold.' })
  @IsOptional() @IsInt() maxSubscriptionsPerClient?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxParentTopics, description: 'Parent topics in the instance.' })
  @IsOptional() @IsInt() maxParentTopics?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.maxGroups, description: 'GroupIds in the instance.' })
  @IsOptional() @IsInt() maxGroups?: number;

  @ApiPropertyOptional({ default: DEFAULT_LIMITS.sessionExpirySeconds, description: 'How long a persistent session and its offline messages are kept.' })
  @IsOptional() @IsInt() sessionExpirySeconds?: number;
}

export class CreateInstanceDto {
  @ApiProperty({ example: 'factory-floor', description: '3-64 characters of [0-9A-Za-z_-], unique (case-insensitive).' })
  @IsDefined() @IsString() instanceName: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional() @IsString() remark?: string;

  @ApiPropertyOptional({ type: InstanceLimitsDto })
  @IsOptional() @ValidateNested() @Type(() => InstanceLimitsDto) limits?: InstanceLimitsDto;
}

export class UpdateInstanceDto {
  @ApiPropertyOptional({ description: '3-64 characters of [0-9A-Za-z_-], unique (case-insensitive).' })
  @IsOptional() @IsString() instanceName?: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional() @IsString() remark?: string;

  @ApiPropertyOptional({ type: InstanceLimitsDto })
  @IsOptional() @ValidateNested() @Type(() => InstanceLimitsDto) limits?: InstanceLimitsDto;
}

export class InstanceEndpointsDto {
  @ApiProperty({ example: 'tcp://localhost:1883' }) tcp: string;
  @ApiProperty({ example: 'ws://localhost:8083/mqtt' }) ws: string;
  @ApiPropertyOptional({ example: 'ssl://localhost:8883' }) tls?: string;
  @ApiPropertyOptional({ example: 'wss://localhost:8084/mqtt' }) wss?: string;
}

export class InstanceDto {
  @ApiProperty({ example: 'mqtt-0pp1ldu4x2ab' }) instanceId: string;
  @ApiProperty() instanceName: string;
  @ApiProperty() remark: string;
  @ApiProperty({ example: 'RUNNING' }) status: string;
  @ApiProperty() createTime: Date;
  @ApiProperty() updateTime: Date;
  @ApiProperty({ type: InstanceLimitsDto }) limits: InstanceLimitsDto;
  @ApiProperty({ type: InstanceEndpointsDto }) endpoints: InstanceEndpointsDto;

  static from(v: InstanceView): InstanceDto {
    return { ...v };
  }
}

export class InstancePageDto extends PageMetaDto {
  @ApiProperty({ type: [InstanceDto] }) items: InstanceDto[];
}
