package dev.overlay.esp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable open-addressing map from SPI to value: lookups take an {@code int} (no boxing)
 * and read only final arrays, so {@link SaDatabase} can swap whole tables copy-on-write while
 * workers look up. Load factor at most one half. SPI 0 marks an empty slot, so its value (only
 * published test vectors use it) has a field of its own.
 */
final class SpiTable<T> {
    private final int[] keys;
    private final Object[] values;
    private final int size;
    private Object zero;

    private SpiTable(int capacity) {
        keys = new int[capacity];
        values = new Object[capacity];
        size = 0;
    }

    private SpiTable(int[] keys, Object[] values, int size, Object zero) {
        this.keys = keys;
        this.values = values;
        this.size = size;
        this.zero = zero;
    }

    static <T> SpiTable<T> empty() {
        return new SpiTable<>(8);
    }

    @SuppressWarnings("unchecked")
    T get(int spi) {
        if (spi == 0) {
            return (T) zero;
        }
        int mask = keys.length - 1;
        for (int i = slot(spi, mask); ; i = (i + 1) & mask) {
            int k = keys[i];
            if (k == spi) {
                return (T) values[i];
            }
            if (k == 0) {
                return null;
            }
        }
    }

    int size() {
        return size;
    }

    /** A copy with {@code spi} mapped to {@code value} (replacing any mapping). */
    SpiTable<T> with(int spi, T value) {
        int capacity = keys.length;
        while ((size + 1) * 2 > capacity) {
            capacity <<= 1;
        }
        SpiTable<T> t = new SpiTable<>(capacity);
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && keys[i] != spi) {
                t.put(keys[i], values[i]);
                n++;
            }
        }
        if (spi == 0) {
            return new SpiTable<>(t.keys, t.values, n + 1, value);
        }
        t.put(spi, value);
        return new SpiTable<>(t.keys, t.values, n + 1 + (zero == null ? 0 : 1), zero);
    }

    /** A copy without {@code spi}. */
    SpiTable<T> without(int spi) {
        SpiTable<T> t = new SpiTable<>(keys.length);
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && keys[i] != spi) {
                t.put(keys[i], values[i]);
                n++;
            }
        }
        Object z = spi == 0 ? null : zero;
        return new SpiTable<>(t.keys, t.values, n + (z == null ? 0 : 1), z);
    }

    @SuppressWarnings("unchecked")
    List<T> values() {
        List<T> out = new ArrayList<>(size);
        if (zero != null) {
            out.add((T) zero);
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0) {
                out.add((T) values[i]);
            }
        }
        return out;
    }

    private void put(int spi, Object value) {
        int mask = keys.length - 1;
        int i = slot(spi, mask);
        while (keys[i] != 0) {
            i = (i + 1) & mask;
        }
        keys[i] = spi;
        values[i] = value;
    }

    private static int slot(int spi, int mask) {
        // Fibonacci hashing: SPIs are often sequential or random; both spread.
        return (spi * 0x9E3779B9 >>> 16) & mask;
    }

    @Override
    public String toString() {
        return "SpiTable" + Arrays.toString(Arrays.stream(keys).filter(k -> k != 0).toArray());
    }
}
