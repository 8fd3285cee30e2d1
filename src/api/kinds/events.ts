// events.k8s.io/v1 Event: the structured form of core/v1 Event that controllers write today.
import { type Static } from '@sinclair/typebox';
import { describe, int32, object, string, timestamp } from './fields.ts';
import { kindSchema } from './meta.ts';
import { EventSourceSchema, ObjectReferenceSchema } from './core.ts';

export const EventSeriesSchema = object('Repeated occurrences of an event, folded into one object.', {
  count: int32('Occurrences so far.'),
  lastObservedTime: timestamp('When the last occurrence was seen, with microseconds.'),
}, ['count', 'lastObservedTime']);
export type EventSeries = Static<typeof EventSeriesSchema>;

export const EventSchema = kindSchema('A report of something that happened to an object, emitted by a controller.', {
  eventTime: timestamp('When the event first happened, with microseconds.'),
  series: describe(EventSeriesSchema, 'Set when the event repeats.'),
  reportingController: string('Controller that emitted the event, e.g. granary.dev/zookeeper-operator.'),
  reportingInstance: string('Instance of that controller, e.g. its pod or host name.'),
  action: string('What was done, or failed, about the object, e.g. Reconcile.'),
  reason: string('Short CamelCase reason for the action.'),
  regarding: describe(ObjectReferenceSchema, 'The object the event is about.'),
  related: describe(ObjectReferenceSchema, 'A second object involved, if any.'),
  note: string('Human-readable description (at most 1 kB).'),
  type: string('Normal or Warning.'),
  deprecatedSource: describe(EventSourceSchema, 'The source field of the core/v1 form.'),
  deprecatedFirstTimestamp: timestamp('The firstTimestamp field of the core/v1 form.'),
  deprecatedLastTimestamp: timestamp('The lastTimestamp field of the core/v1 form.'),
  deprecatedCount: int32('The count field of the core/v1 form.'),
}, ['eventTime']);
export type Event = Static<typeof EventSchema>;
