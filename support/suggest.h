/* suggest.h: "did you mean ...?" — the closest candidate to a misspelt word. */
#ifndef DMLC_SUPPORT_SUGGEST_H
#define DMLC_SUPPORT_SUGGEST_H

/* Levenshtein distance between two strings (bytes). */
int suggest_edit_distance(const char *a, const char *b);
/* The candidate nearest to word, or NULL when none is close enough to be a plausible typo
 * (distance at most a third of the word's length, and at least 1 edit allowed). */
const char *suggest_closest(const char *word, const char *const *candidates, int ncandidates);

#endif
