package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SemverTest {
    static final List<String> VERSIONS = List.of("0.0.3", "0.0.4", "0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.2.0", "1.2.3",
            "1.2.9", "1.3.0", "1.10.1", "2.0.0-beta.1", "2.0.0", "2.4.1", "3.0.0-rc.1");

    static String max(String range) {
        return Semver.maxSatisfying(VERSIONS, range).orElse("none");
    }

    @Test
    void ranges_pick_what_npm_would() {
        assertThat(max("^1.2.3")).isEqualTo("1.10.1");
        assertThat(max("~1.2.3")).isEqualTo("1.2.9");
        assertThat(max("^0.2.3")).isEqualTo("0.2.9");
        assertThat(max("^0.0.3")).isEqualTo("0.0.3");
        assertThat(max("1.2.x")).isEqualTo("1.2.9");
        assertThat(max("1")).isEqualTo("1.10.1");
        assertThat(max("*")).isEqualTo("2.4.1");
        assertThat(max("")).isEqualTo("2.4.1");
        assertThat(max(">=1.2.0 <1.3.0")).isEqualTo("1.2.9");
        assertThat(max("<1.2")).isEqualTo("1.0.0");
        assertThat(max("<=1.2")).isEqualTo("1.2.9");
        assertThat(max(">1.2")).isEqualTo("2.4.1");
        assertThat(max("1.2.0 - 1.3")).isEqualTo("1.3.0");
        assertThat(max("^0.3.0 || ^2.0.0")).isEqualTo("2.4.1");
        assertThat(max("1.2.3")).isEqualTo("1.2.3");
        assertThat(max("^9")).isEqualTo("none");
    }

    @Test
    void pre_releases_only_when_named_exactly() {
        assertThat(max(">=2.0.0-beta.0 <2.0.0")).isEqualTo("none");
        assertThat(max("2.0.0-beta.1")).isEqualTo("2.0.0-beta.1");
        assertThat(max("^3.0.0-0")).isEqualTo("none");
        assertThat(Semver.Version.parse("2.0.0").orElseThrow().compareTo(Semver.Version.parse("2.0.0-rc.1").orElseThrow())).isPositive();
        assertThat(Semver.Version.parse("1.0.0-alpha.10").orElseThrow().compareTo(Semver.Version.parse("1.0.0-alpha.9").orElseThrow())).isPositive();
    }

    @Test
    void garbage_is_not_a_range() {
        assertThat(Semver.valid("^1.2.3")).isTrue();
        assertThat(Semver.valid("not a range")).isFalse();
        assertThat(Semver.valid("^^1")).isFalse();
    }
}
