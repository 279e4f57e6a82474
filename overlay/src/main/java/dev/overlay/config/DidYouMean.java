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

    /**
     * Optimal string alignment distance: Levenshtein plus adjacent transpositions, the commonest
     * typo ("bleu" for "blue" is one edit, not two).
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
