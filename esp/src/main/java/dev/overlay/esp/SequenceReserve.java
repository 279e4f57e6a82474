package dev.overlay.esp;

/**
 * Where an {@link OutboundSaState} under a reservation asks for more sequence numbers: the
 * integrator's persistent store. Sequence numbers are only ever sent below a reservation that
 * has reached stable storage, so a restart (even a crash) resumes past every number that may
 * have been used, and a counter-mode nonce (the sequence number) is never used twice per key.
 */
@FunctionalInterface
public interface SequenceReserve {

    /**
     * Asks for {@code sa}'s reservation to be extended; called on the SA's owner worker, so it
     * must not block. The store answers later with {@link OutboundSaState#grant}. Called again
     * on every packet dropped for lack of a reservation: the store must coalesce requests.
     */
    void request(OutboundSaState sa);
}
