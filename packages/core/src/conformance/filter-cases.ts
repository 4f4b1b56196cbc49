import { filters as f, type Filter } from '../filter/filter.js';
import { HOSTILE_VALUE } from '../testing/synthetic-corpus.js';

export interface FilterCase {
  readonly label: string;
  readonly filter: Filter;
}

/** Every filter kind, alone and nested, over the synthetic corpus's metadata. */
export const FILTER_CASES: readonly FilterCase[] = [
  { label: 'eq on a string', filter: f.eq('lang', 'ja') },
  { label: 'eq on a boolean', filter: f.eq('published', true) },
  { label: 'eq on an integer', filter: f.eq('year', 2012) },
  { label: 'eq on a tags array matches any element', filter: f.eq('tags', 'science') },
  { label: 'ne', filter: f.ne('lang', 'en') },
  { label: 'ne on a field some documents lack', filter: f.ne('source', 'source-1') },
  { label: 'in on a string', filter: f.in('lang', ['en', 'de', 'th']) },
  { label: 'in on a tags array', filter: f.in('tags', ['sport', 'code']) },
  { label: 'range with gte and lt', filter: f.range('year', { gte: 2008, lt: 2016 }) },
  { label: 'range with gt on floats', filter: f.range('rating', { gt: 5.5 }) },
  { label: 'range with lte only', filter: f.range('rating', { lte: 2.25 }) },
  { label: 'exists (missing and null do not exist)', filter: f.exists('source') },
  { label: 'not exists', filter: f.not(f.exists('source')) },
  { label: 'exists on a tags array (empty arrays do not exist)', filter: f.exists('tags') },
  { label: 'and', filter: f.and(f.eq('published', true), f.range('year', { gte: 2010 })) },
  { label: 'or', filter: f.or(f.eq('lang', 'hi'), f.eq('tags', 'finance')) },
  { label: 'not', filter: f.not(f.in('lang', ['en', 'ja'])) },
  {
    label: 'nested and/or/not',
    filter: f.and(f.or(f.eq('lang', 'de'), f.eq('lang', 'ar')), f.not(f.eq('published', false))),
  },
  {
    label: 'eq with a hostile string (quotes, backslashes, or 1==1)',
    filter: f.eq('author', HOSTILE_VALUE),
  },
  { label: 'ne with a hostile string', filter: f.ne('author', HOSTILE_VALUE) },
  { label: 'in with a hostile string', filter: f.in('author', [HOSTILE_VALUE, 'author-1']) },
];
