/* A program outside the project, built against the installed library. */
#include <cthreading.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    ct_deadline d;
    if (ct_deadline_init(&d, 0.0, CT_NEG_REJECT) != 0 ||
        !ct_deadline_expired(&d))
        return 1;
    printf("consumer: cthreading %s, %s\n", ct_version(),
           ct_strerror(CT_ETIMEDOUT));
    return strcmp(ct_strerror(CT_ETIMEDOUT), "timed out") != 0;
}
