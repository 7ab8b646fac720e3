import { Controller, Get, Header, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { rpcCatalogue } from './catalogue.js';
import { RpcErrorFilter } from './rpc-envelope.js';
import { RpcEndpoint } from './rpc.endpoint.js';

/**
 * `/`, GET and POST: the Alibaba-compatible RPC face (design §1.3). Not in the Swagger document (it is
 * one URL for every action); its own catalogue is served at `/rpc-actions.json`.
 */
@ApiExcludeController()
@UseFilters(RpcErrorFilter)
@Controller()
export class RpcController {
  constructor(private readonly endpoint: RpcEndpoint) {}

  @Get()
  get(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.endpoint.handle(req, res);
  }

  @Post()
  post(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.endpoint.handle(req, res);
  }

  @Get('rpc-actions.json')
  @Header('cache-control', 'no-cache')
  catalogue(): unknown {
    return rpcCatalogue();
  }
}
