import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString } from 'class-validator';
import { PageMetaDto } from '../common/dto.js';

export class CreateTopicDto {
  @ApiProperty({ example: 'sensors', description: 'Parent topic: 3-64 characters of [0-9A-Za-z_-], unique in the instance.' })
  @IsDefined() @IsString() topic: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional() @IsString() remark?: string;
}

export class UpdateTopicDto {
  @ApiProperty({ maxLength: 256 })
  @IsDefined() @IsString() remark: string;
}

export class TopicDto {
  @ApiProperty() instanceId: string;
  @ApiProperty() topic: string;
  @ApiProperty() remark: string;
  @ApiProperty() createTime: Date;
  @ApiProperty() updateTime: Date;
}

export class TopicPageDto extends PageMetaDto {
  @ApiProperty({ type: [TopicDto] }) items: TopicDto[];
}
