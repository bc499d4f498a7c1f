import { HostFactoryError } from '@open-hostfactory/core';

/** More pages than any listing of ours can have: a service that keeps answering a next token is failing. */
export const MAX_PAGES = 10_000;

/**
 * Every page of one listing: `fetch(token)` asks for the page after `token` (undefined for the
 * first) and `next(page)` reads the page's continuation (`NextToken`, `LastEvaluatedKey`…);
 * empty or absent ends the listing. Bounded: a token answered twice in a row, or more than
 * `maxPages` pages, fails with PROVIDER_ERROR instead of looping.
 */
export async function allPages<P, T = string>(
  fetch: (token: T | undefined) => Promise<P>,
  next: (page: P) => T | undefined | null | '' = (page) => (page as { NextToken?: T }).NextToken,
  maxPages: number = MAX_PAGES,
): Promise<P[]> {
  const pages: P[] = [];
  let token: T | undefined;
  for (;;) {
    const page = await fetch(token);
    pages.push(page);
    const following = next(page) || undefined;
    if (following === undefined) return pages;
    if (pages.length >= maxPages || (token !== undefined && JSON.stringify(following) === JSON.stringify(token))) {
      throw new HostFactoryError('PROVIDER_ERROR', `a listing did not end after ${pages.length} pages (the service repeats its next token)`, {
        transient: true,
        details: { pages: pages.length },
      });
    }
    token = following;
  }
}

/** The items of every page (see {@link allPages}). */
export async function allItems<P, I, T = string>(
  fetch: (token: T | undefined) => Promise<P>,
  items: (page: P) => readonly I[] | undefined,
  next?: (page: P) => T | undefined | null | '',
): Promise<I[]> {
  const pages = await allPages(fetch, next);
  return pages.flatMap((page) => [...(items(page) ?? [])]);
}
