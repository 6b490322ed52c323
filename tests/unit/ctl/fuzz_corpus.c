/* tests/unit/ctl/fuzz_corpus.c — runs ctl/fuzz_protocol.c's entry point over a
 * corpus directory (unit.ctl.fuzz_corpus).
 *
 * A gcc-buildable stand-in for libFuzzer's driver so the corpus (and any
 * crash reproducer added to it) runs in every ctest. Each file is one input;
 * the entry point traps on a broken invariant, which fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            closedir(d);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        /* Exact-size copy so ASan catches a read past the input. */
        uint8_t *in = malloc(len ? len : 1);
        memcpy(in, buf, len);
        LLVMFuzzerTestOneInput(in, len);
        free(in);
        n++;
    }
    closedir(d);
    printf("%d corpus inputs ok\n", n);
    return n > 0 ? 0 : 1;
}
