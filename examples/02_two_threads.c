/* 02 - Two threads run at the same time; join makes "Done!" come last.
 *
 * Python (seed guide 002 "Basic Threading Example"):
 *
 *     t1 = threading.Thread(target=print_numbers)   # 0..9
 *     t2 = threading.Thread(target=print_letters)   # a..j
 *     t1.start(); t2.start()
 *     t1.join(); t2.join()
 *     print('Done!')
 *
 * Each thread keeps its own order; how the two interleave is up to the
 * scheduler (here each line sleeps 1 ms so both really overlap). We count
 * how often the output switched from one thread to the other.
 *
 * EXPECT: ^9$
 * EXPECT: ^j$
 * EXPECT: ^lines: 20, numbers in order: yes, letters in order: yes$
 * EXPECT: ^Done!$
 */
#include <cthreading.h>
#include <stdio.h>

static char out[20]; /* what was printed, in order */
static atomic_int n_out;

static void emit(char c) {
    printf("%c\n", c);
    out[atomic_fetch_add(&n_out, 1)] = c;
}

static int print_numbers(void *arg) {
    (void)arg;
    for (char c = '0'; c <= '9'; c++) {
        emit(c);
        ct_sleep(0.001);
    }
    return 0;
}

static int print_letters(void *arg) {
    (void)arg;
    for (char c = 'a'; c <= 'j'; c++) {
        emit(c);
        ct_sleep(0.001);
    }
    return 0;
}

int main(void) {
    ct_thread *t1 = ct_thread_new(print_numbers, NULL);
    ct_thread *t2 = ct_thread_new(print_letters, NULL);
    ct_thread_start(t1);
    ct_thread_start(t2);
    ct_thread_join(t1, CT_FOREVER);
    ct_thread_join(t2, CT_FOREVER);

    char last_digit = '0' - 1, last_letter = 'a' - 1;
    int digits_ok = 1, letters_ok = 1, switches = 0;
    for (int i = 0; i < n_out; i++) {
        char c = out[i];
        if (c <= '9')
            digits_ok &= c == last_digit + 1, last_digit = c;
        else
            letters_ok &= c == last_letter + 1, last_letter = c;
        switches += i > 0 && (c <= '9') != (out[i - 1] <= '9');
    }
    printf("lines: %d, numbers in order: %s, letters in order: %s\n",
           (int)n_out, digits_ok ? "yes" : "no", letters_ok ? "yes" : "no");
    printf("the output switched threads %d times\n", switches);
    printf("Done!\n");
    ct_thread_free(t1);
    ct_thread_free(t2);
    return 0;
}
