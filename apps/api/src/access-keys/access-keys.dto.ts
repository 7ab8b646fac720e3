import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { PageMetaDto } from '../common/dto.js';

const POLICY_EXAMPLE = {
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: ['acs:mq:*:*:*/mqtt-0pp1ldu4x2ab*'] }],
};

export class CreateAccessKeyDto {
  @ApiPropertyOptional({ example: POLICY_EXAMPLE, description: 'RAM-style policy document. Without one the key may do nothing.' })
  @IsOptional() @IsObject() policy?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional() @IsString() remark?: string;
}

export class UpdateAccessKeyDto {
  @ApiPropertyOptional({ enum: ['Active', 'Inactive'] })
  @IsOptional() @IsIn(['Active', 'Inactive']) status?: 'Active' | 'Inactive';

  @ApiPropertyOptional({ example: POLICY_EXAMPLE })
  @IsOptional() @IsObject() policy?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional() @IsString() remark?: string;
}

export class AccessKeyDto {
  @ApiProperty({ example: 'LTAIx7Zq9Nf2Kp0Lr3Ws5Ty8' }) accessKeyId: string;
  @ApiProperty({ enum: ['Active', 'Inactive'] }) status: string;
  @ApiProperty() isRoot: boolean;
  @ApiProperty({ nullable: true, example: POLICY_EXAMPLE, type: Object }) policy: object | null;
  @ApiProperty() remark: string;
  @ApiProperty() createTime: Date;
  @ApiProperty() updateTime: Date;
}

export class CreatedAccessKeyDto extends AccessKeyDto {
  @ApiProperty({ description: 'Shown once; store it now.' }) accessKeySecret: string;
}

export class AccessKeyPageDto extends PageMetaDto {
  @ApiProperty({ type: [AccessKeyDto] }) items: AccessKeyDto[];
}
