package dev.tenantry.bench;

import java.util.Arrays;
import java.util.Collection;

/** Latency samples in nanoseconds; one instance per worker thread, merged at the end. */
final class Samples {
    private long[] values = new long[1024];
    private int size;

    void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = nanos;
    }

    int size() {
        return size;
    }

    /** Every sample of every worker, sorted. */
    static long[] sorted(Collection<Samples> parts) {
        int total = parts.stream().mapToInt(Samples::size).sum();
        long[] all = new long[total];
        int at = 0;
        for (Samples s : parts) {
            System.arraycopy(s.values, 0, all, at, s.size);
            at += s.size;
        }
        Arrays.sort(all);
        return all;
    }

    /** Summary of a sorted sample set, in milliseconds. */
    record Summary(int count, double p50, double p90, double p99, double p999, double max, double mean) {
        static final Summary EMPTY = new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

        static Summary of(long[] sorted) {
            if (sorted.length == 0) {
                return EMPTY;
            }
            double sum = 0;
            for (long v : sorted) {
                sum += v;
            }
            return new Summary(sorted.length, ms(rank(sorted, 0.50)), ms(rank(sorted, 0.90)), ms(rank(sorted, 0.99)),
                    ms(rank(sorted, 0.999)), ms(sorted[sorted.length - 1]), sum / sorted.length / 1e6);
        }

        /** Nearest-rank percentile. */
        private static long rank(long[] sorted, double p) {
            int index = (int) Math.ceil(p * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }
}
