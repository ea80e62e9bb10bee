/* Parse each iCalendar file with Debian's libical and run its RFC restriction check.
 * Prints one line per file: path, VEVENT count, VTIMEZONE count, restriction check (1 = passed),
 * errors; then "  X-WR-CALDESC: ..." with the value as libical reads it (unescaped), if the file has one;
 * then one "  error: ..." line per X-LIC-ERROR libical attached. Exit status 1 if any file fails.
 * Built by tests/test_calendars_recipients.py with: gcc ical_check.c $(pkg-config --cflags --libs libical)
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    if (fread(buf, 1, n, f) != (size_t)n) { fclose(f); free(buf); return NULL; }
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void print_errors(icalcomponent *c) {
    for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY))
        printf("  error: %s: %s\n", icalcomponent_kind_to_string(icalcomponent_isa(c)), icalproperty_get_xlicerror(p));
    for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
         k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        print_errors(k);
}

int main(int argc, char **argv) {
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        char *text = slurp(argv[i]);
        icalcomponent *cal = text ? icalparser_parse_string(text) : NULL;
        if (!cal || icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
            printf("%s\t-1\t-1\t0\t1\n  error: not parsed as one VCALENDAR\n", argv[i]);
            failed = 1;
            free(text);
            continue;
        }
        int parse_errors = icalcomponent_count_errors(cal);
        int restricted = icalrestriction_check(cal);
        int errors = icalcomponent_count_errors(cal);
        printf("%s\t%d\t%d\t%d\t%d\n", argv[i], icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT),
               icalcomponent_count_components(cal, ICAL_VTIMEZONE_COMPONENT), restricted, errors);
        for (icalproperty *p = icalcomponent_get_first_property(cal, ICAL_X_PROPERTY); p;
             p = icalcomponent_get_next_property(cal, ICAL_X_PROPERTY))
            if (strcmp(icalproperty_get_x_name(p), "X-WR-CALDESC") == 0)
                printf("  X-WR-CALDESC: %s\n", icalproperty_get_x(p));
        if (errors || !restricted || parse_errors) {
            print_errors(cal);
            failed = 1;
        }
        icalcomponent_free(cal);
        free(text);
    }
    return failed;
}
