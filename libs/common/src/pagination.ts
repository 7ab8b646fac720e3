/** One paging convention for every list, on both faces: 1-based page number, page size 1-100. */
export interface PageRequest {
  pageNo: number;
  pageSize: number;
}

export interface Page<T> {
  total: number;
  pageNo: number;
  pageSize: number;
  items: T[];
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageRequest(pageNo?: number, pageSize?: number): PageRequest {
  return { pageNo: pageNo ?? 1, pageSize: pageSize ?? DEFAULT_PAGE_SIZE };
}

export function skipOf(page: PageRequest): number {
  return (page.pageNo - 1) * page.pageSize;
}
