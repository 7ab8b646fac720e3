import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessKeysService } from '../../../../libs/core/src/access-keys/access-keys.service.js';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';
import { PageQueryDto } from '../common/dto.js';
import { AccessKeyDto, AccessKeyPageDto, CreateAccessKeyDto, CreatedAccessKeyDto, UpdateAccessKeyDto } from './access-keys.dto.js';

const policyText = (p: Record<string, unknown> | undefined) => (p === undefined ? undefined : JSON.stringify(p));

@ApiTags('access-keys')
@Controller('v1/access-keys')
export class AccessKeysController {
  constructor(private readonly keys: AccessKeysService) {}

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Create an AccessKey; the secret is returned once (RAM ram:CreateAccessKey)' })
  @ApiCreatedResponse({ type: CreatedAccessKeyDto })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateAccessKeyDto): Promise<CreatedAccessKeyDto> {
    return this.keys.create(caller, { policy: policyText(dto.policy), remark: dto.remark });
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'List AccessKeys (secrets are never listed) (RAM ram:ListAccessKeys)' })
  @ApiOkResponse({ type: AccessKeyPageDto })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<AccessKeyPageDto> {
    return this.keys.list(caller, q.toPage());
  }

  @Get(':accessKeyId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Get one AccessKey (RAM ram:ListAccessKeys)' })
  @ApiOkResponse({ type: AccessKeyDto })
  get(@CurrentCaller() caller: Caller, @Param('accessKeyId') id: string): Promise<AccessKeyDto> {
    return this.keys.get(caller, id);
  }

  @Patch(':accessKeyId')
  @Authenticated(404)
  @ApiOperation({ summary: 'Enable/disable an AccessKey or replace its policy (RAM ram:UpdateAccessKey)' })
  @ApiOkResponse({ type: AccessKeyDto })
  update(@CurrentCaller() caller: Caller, @Param('accessKeyId') id: string, @Body() dto: UpdateAccessKeyDto): Promise<AccessKeyDto> {
    return this.keys.update(caller, id, { status: dto.status, policy: policyText(dto.policy), remark: dto.remark });
  }

  @Delete(':accessKeyId')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Delete an AccessKey; devices using it are disconnected (RAM ram:DeleteAccessKey)' })
  @ApiNoContentResponse()
  delete(@CurrentCaller() caller: Caller, @Param('accessKeyId') id: string): Promise<void> {
    return this.keys.delete(caller, id);
  }
}
