package dev.overlay.config;

import java.util.Collection;
import java.util.Locale;

/** The "did you mean" of unknown keys and names: the one known word within a small edit distance. */
final class DidYouMean {

    private DidYouMean() {
    }

    /** {@code " (did you mean 'vni'?)"}, or empty when nothing is close enough. */
    static String suggest(String word, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean tie = false;
        // Allow one edit per three characters, at most two: "vnii" -> "vni", but not "mac" -> "vni".
        int limit = Math.min(2, Math.max(1, word.length() / 3));
        String w = word.toLowerCase(Locale.ROOT).replace('_', '-');
        for (String k : known) {
            int d = distance(w, k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
                tie = false;
            } else if (d == bestDistance) {
                tie = true;
            }
        }
        return best != null && bestDistance <= limit && !tie ? " (did you mean '" + best + "'?)" : "";
    }

    /** Levenshtein distance, two rows. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
