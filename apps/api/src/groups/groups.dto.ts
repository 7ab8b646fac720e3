import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString } from 'class-validator';
import { PageMetaDto } from '../common/dto.js';

export class CreateGroupDto {
  @ApiProperty({ example: 'GID_sensors', description: '"GID_" or "GID-" prefix, 7-64 characters of [0-9A-Za-z_-].' })
  @IsDefined() @IsString() groupId: string;
}

export class GroupDto {
  @ApiProperty() instanceId: string;
  @ApiProperty() groupId: string;
  @ApiProperty({ description: 'Always true: names are unique per instance.' }) independentNaming: boolean;
  @ApiProperty() createTime: Date;
  @ApiProperty() updateTime: Date;
}

export class GroupPageDto extends PageMetaDto {
  @ApiProperty({ type: [GroupDto] }) items: GroupDto[];
}
