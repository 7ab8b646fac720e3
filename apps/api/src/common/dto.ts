import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageRequest, type PageRequest } from '../../../../libs/common/src/pagination.js';

/** Query parameters of every list endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Page number, from 1.', default: 1, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  pageNo?: number;

  @ApiPropertyOptional({ description: 'Items per page.', default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  pageSize?: number;

  toPage(): PageRequest {
    return pageRequest(this.pageNo, this.pageSize);
  }
}

export class ErrorResponseDto {
  @ApiProperty({ example: 'InstanceNotFound', description: 'Stable error code, shared with the RPC face.' })
  code: string;

  @ApiProperty({ example: 'The instance "mqtt-abc" does not exist.' })
  message: string;

  @ApiProperty({ example: '6F1C2B0E-4A4B-4F59-9D0E-1C9E5B1A2F3D' })
  requestId: string;
}

export class PageMetaDto {
  @ApiProperty() total: number;
  @ApiProperty() pageNo: number;
  @ApiProperty() pageSize: number;
}
