package dev.overlay.steering;

/**
 * Why a work item was dropped by steering rather than handled. Every drop releases the item
 * through the hand-off's release callback, on the thread that dropped it, and is counted per
 * worker.
 */
public enum SteeringDrop {
    CONGESTION("congestion", "items dropped because the worker's queue was full"),
    SHUTDOWN("shutdown", "items offered to a closed pool, or left in a queue when its worker stopped"),
    STAGE_FAILED("stage-failed", "items whose stage threw: a bug, the stage kept ownership");

    private final String counterName;
    private final String description;

    SteeringDrop(String counterName, String description) {
        this.counterName = counterName;
        this.description = description;
    }

    /** The name used in metrics and summaries ({@code congestion}). */
    public String counterName() {
        return counterName;
    }

    /** One line for operators. */
    public String description() {
        return description;
    }
}
