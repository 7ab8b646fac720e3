import { Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { DeviceCredentialsService } from '../../../../libs/core/src/device-credentials/device-credentials.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';
import { PageMetaDto, PageQueryDto } from '../common/dto.js';

export class DeviceCredentialDto {
  @ApiProperty({ example: 'GID_sensors@@@dev-0001' }) clientId: string;
  @ApiProperty() instanceId: string;
  @ApiProperty({ example: 'DC.Z5fXh9sRRVufyLi6wo1234' }) deviceAccessKeyId: string;
  @ApiProperty({ description: 'Password = Base64(HMAC-SHA1(this secret, ClientId)).' }) deviceAccessKeySecret: string;
  @ApiProperty() createTime: Date;
  @ApiProperty() updateTime: Date;
}

export class ClientIdPageDto extends PageMetaDto {
  @ApiProperty({ type: [String] }) items: string[];
}

export class ListCredentialsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only ClientIds of this GroupId.' })
  @IsOptional() @IsString() groupId?: string;
}

@ApiTags('device-credentials')
@Controller('v1/instances/:instanceId/device-credentials')
export class DeviceCredentialsController {
  constructor(private readonly creds: DeviceCredentialsService) {}

  @Put(':clientId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Register (or replace) the credential of a ClientId (RegisterDeviceCredential)' })
  @ApiOkResponse({ type: DeviceCredentialDto })
  register(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<DeviceCredentialDto> {
    return this.creds.register(caller, instanceId, clientId);
  }

  @Get()
  @Authenticated(404)
  @ApiOperation({ summary: 'ClientIds holding a credential (ListDeviceCredentialClientId)' })
  @ApiOkResponse({ type: ClientIdPageDto })
  list(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Query() q: ListCredentialsQueryDto): Promise<ClientIdPageDto> {
    return this.creds.listClientIds(caller, instanceId, q.groupId, q.toPage());
  }

  @Get(':clientId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Get the credential of a ClientId (GetDeviceCredential)' })
  @ApiOkResponse({ type: DeviceCredentialDto })
  get(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<DeviceCredentialDto> {
    return this.creds.get(caller, instanceId, clientId);
  }

  @Post(':clientId/refresh')
  @HttpCode(200)
  @Authenticated(404)
  @ApiOperation({ summary: 'Rotate the key pair; connections using the old one are closed (RefreshDeviceCredential)' })
  @ApiOkResponse({ type: DeviceCredentialDto })
  refresh(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<DeviceCredentialDto> {
    return this.creds.refresh(caller, instanceId, clientId);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Unregister; connections using it are closed (UnRegisterDeviceCredential)' })
  @ApiNoContentResponse()
  unregister(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Param('clientId') clientId: string): Promise<void> {
    return this.creds.unregister(caller, instanceId, clientId);
  }
}
