/* ctl/fuzz_protocol.c — libFuzzer entry: the request parser and the JSON/trace
 * readers on arbitrary bytes.
 *
 * The same entry point is linked into tests/unit/ctl/fuzz_corpus.c (a plain
 * gcc driver that replays the checked-in corpus), so the corpus runs in
 * every ctest without clang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "protocol.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A request is one line: what the server would hand the parser. */
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t len = nl ? (size_t)(nl - s) : size;
    struct ctl_request rq;
    struct ctl_parse_error err;
    if (ctl_request_parse(s, len, &rq, &err) == 0) {
        if (rq.cmd == CTL_CMD_ADD &&
            (rq.rule < s || rq.rule + rq.rule_len > s + len))
            __builtin_trap(); /* the rule must lie inside the line */
        if ((unsigned)rq.cmd >= CTL_CMD_COUNT)
            __builtin_trap();
    } else if (err.err <= 0 || err.col == 0 || err.col > len + 2 ||
               !memchr(err.msg, '\0', sizeof(err.msg))) {
        __builtin_trap();
    }
    struct ctl_json_obj o;
    size_t col;
    const char *msg;
    if (ctl_json_parse(s, size, &o, &col, &msg) == 0)
        ctl_json_free(&o);
    struct ctl_replay *r = NULL;
    char ebuf[256];
    if (ctl_replay_load_text(s, size, "<fuzz>", &r, ebuf, sizeof(ebuf)) == 0) {
        struct inj_verdict v;
        (void)ctl_replay_lookup(r, INJ_OP_READ, "/a", &v);
        ctl_replay_free(r);
    }
    return 0;
}
