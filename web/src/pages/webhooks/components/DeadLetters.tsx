/**
 * The organization's dead letters (the shared table, fed from the tenant's API): inbound
 * (platform events Brain could not process), all or one connection's; or outbound (events it
 * could not deliver), all or one endpoint's.
 */
import { DeadLetters as DeadLetterTable } from '../../../components/DeadLetters';
import { useDeadLetters, useReplayDeadLetter, type Direction } from '../api';

export function DeadLetters({ direction, connectionId, endpointId }: { direction: Direction; connectionId?: string; endpointId?: string }) {
  const letters = useDeadLetters(direction, { connectionId, endpointId });
  const replay = useReplayDeadLetter();
  return <DeadLetterTable query={letters} replay={replay} testId={`dead-letters-${direction}`} skeletonRows={2} />;
}
