/* suggest.c: edit distance and nearest-candidate lookup for "did you mean" hints. */
#include "support/suggest.h"

#include <stdlib.h>
#include <string.h>

/* Words longer than this are not compared: no identifier worth suggesting is that long. */
enum { SUGGEST_MAX_LEN = 64 };

int suggest_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
        return n > m ? (int)n : (int)m;
    /* three rows of the dynamic programme: i-2, i-1 and i */
    int rows[3][SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= m; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int *prev2 = rows[(i + 1) % 3], *prev = rows[(i - 1) % 3], *cur = rows[i % 3];
        cur[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            /* a swap of two neighbours is one edit ("chekc" -> "check") */
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
    }
    return rows[n % 3][m];
}

const char *suggest_closest(const char *word, const char *const *candidates, int ncandidates)
{
    int limit = (int)strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    const char *best = NULL;
    int best_distance = limit + 1;
    for (int i = 0; i < ncandidates; i++) {
        if (!candidates[i])
            continue;
        int d = suggest_edit_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    return best;
}
