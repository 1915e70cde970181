/* ilp_probe.c: are this machine's cores independent? A loop of six independent integer
 * recurrences (about 2.7 instructions per cycle on Zen 3) for N iterations; run one copy, then two
 * at once: on two real cores both take as long as one; on two SMT siblings (or vCPUs that share a
 * physical core) each takes longer. docs/performance.md quotes it for the scaling ceiling.
 *
 * usage: bench_ilp_probe N        (prints a checksum so the loop is not optimised away)
 *   time bench_ilp_probe 1000000000
 *   time (bench_ilp_probe 1000000000 & bench_ilp_probe 1000000000; wait) */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000000L;
    unsigned long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
    for (long i = 0; i < n; i++) {
        a = a * 3 + 1;
        b ^= b << 3;
        c += c >> 2;
        d = d * 5 + 7;
        e += a;
        f ^= c;
    }
    printf("%lu\n", a + b + c + d + e + f);
    return 0;
}
