import { filterCovers, isValidTopicFilter, isValidTopicName, parentOf, topicMatches } from './topic.js';

describe('topic', () => {
  it('should take the first level as the parent topic', () => {
    expect(parentOf('a/b/c')).toBe('a');
    expect(parentOf('solo')).toBe('solo');
  });

  it('should validate topic names and filters', () => {
    expect(isValidTopicName('a/b')).toBe(true);
    expect(isValidTopicName('a/#')).toBe(false);
    expect(isValidTopicName('a/+/b')).toBe(false);
    expect(isValidTopicName('')).toBe(false);
    expect(isValidTopicFilter('a/+/c/#')).toBe(true);
    expect(isValidTopicFilter('a/#/c')).toBe(false);
    expect(isValidTopicFilter('a/b#')).toBe(false);
    expect(isValidTopicFilter('a/b+')).toBe(false);
  });

  it('should match filters as MQTT 3.1.1 §4.7 says', () => {
    expect(topicMatches('a/+', 'a/b')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('a/b', 'a/c')).toBe(false);
  });

  it('should decide whether a resource covers a whole filter', () => {
    expect(filterCovers('T/+', 'T/x')).toBe(true);
    expect(filterCovers('T/+', 'T/+')).toBe(true);
    expect(filterCovers('T/#', 'T/x/y/#')).toBe(true);
    expect(filterCovers('T/#', 'T')).toBe(true);
    expect(filterCovers('T/x', 'T/+')).toBe(false);
    expect(filterCovers('T/+', 'T/#')).toBe(false);
    expect(filterCovers('T/+', 'T/x/y')).toBe(false);
    expect(filterCovers('T', 'T/x')).toBe(false);
  });
});
