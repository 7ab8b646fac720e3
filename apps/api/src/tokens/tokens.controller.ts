import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsDefined, IsIn, IsInt, IsString } from 'class-validator';
import type { Caller } from '../../../../libs/core/src/auth/caller.js';
import { MAX_TOKEN_RESOURCES, MqttTokensService } from '../../../../libs/core/src/mqtt-tokens/mqtt-tokens.service.js';
import { Authenticated } from '../common/api-errors.decorator.js';
import { CurrentCaller } from '../common/auth.guard.js';

export class ApplyTokenDto {
  @ApiProperty({ example: ['sensors/#', 'alerts/room1'], description: `Topic filters under parent topics of the instance; at most ${MAX_TOKEN_RESOURCES}.` })
  @IsDefined() @IsString({ each: true }) @ArrayMinSize(1) @ArrayMaxSize(MAX_TOKEN_RESOURCES) resources: string[];

  @ApiProperty({ enum: ['R', 'W', 'R,W'], description: 'R = subscribe, W = publish, R,W = both (device type RW).' })
  @IsDefined() @IsIn(['R', 'W', 'R,W', 'W,R']) actions: string;

  @ApiProperty({ example: 1795700000000, description: 'Absolute expiry, UNIX ms; at least 60 s ahead; capped at 30 days.' })
  @IsDefined() @IsInt() expireTime: number;
}

export class TokenDto {
  @ApiProperty({ description: 'Opaque; shown once. Devices send it as the password: `R|token`, `W|token` or `RW|token`.' }) token: string;
  @ApiProperty({ description: 'Effective expiry (UNIX ms), after the 30-day cap.' }) expireTime: number;
  @ApiProperty({ enum: ['R', 'W', 'RW'] }) type: string;
}

export class TokenRefDto {
  @ApiProperty() @IsDefined() @IsString() token: string;
}

export class TokenStatusDto {
  @ApiProperty({ description: 'True while the token exists, is not revoked and has not expired.' }) valid: boolean;
}

@ApiTags('tokens')
@Controller('v1/instances/:instanceId/tokens')
export class TokensController {
  constructor(private readonly tokens: MqttTokensService) {}

  @Post()
  @Authenticated(404)
  @ApiOperation({ summary: 'Apply for a device token (ApplyToken; RAM mq:ApplyToken)' })
  @ApiCreatedResponse({ type: TokenDto })
  apply(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: ApplyTokenDto): Promise<TokenDto> {
    return this.tokens.apply(caller, instanceId, dto);
  }

  @Post('query')
  @HttpCode(200)
  @Authenticated(404)
  @ApiOperation({ summary: 'Is a token still valid? (QueryToken; RAM mq:QueryToken). POST so tokens stay out of URLs and logs.' })
  @ApiOkResponse({ type: TokenStatusDto })
  async query(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: TokenRefDto): Promise<TokenStatusDto> {
    return { valid: await this.tokens.query(caller, instanceId, dto.token) };
  }

  @Post('revoke')
  @HttpCode(204)
  @Authenticated(404)
  @ApiOperation({ summary: 'Revoke a token; its live connections are notified (code 3) and closed (RevokeToken; RAM mq:RevokeToken)' })
  @ApiNoContentResponse()
  revoke(@CurrentCaller() caller: Caller, @Param('instanceId') instanceId: string, @Body() dto: TokenRefDto): Promise<void> {
    return this.tokens.revoke(caller, instanceId, dto.token);
  }
}
