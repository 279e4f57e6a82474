package dev.overlay.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

/** Test helper: the live threads whose name starts with a pool's prefix. */
final class Threads {
    private Threads() {}

    static List<String> alive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .map(Thread::getName)
                .toList();
    }

    static void assertNoneAlive(String poolName) {
        assertEquals(List.of(), alive(poolName + "-worker-"), "worker threads alive after close()");
    }
}
