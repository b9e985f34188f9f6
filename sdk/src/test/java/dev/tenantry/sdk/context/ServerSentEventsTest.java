package dev.tenantry.sdk.context;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ServerSentEventsTest {

    @Test
    void a_blank_line_dispatches_the_event_with_its_id_and_type() {
        assertThat(parse("id: 7", "event: change", "data: {\"seq\":7}", ""))
                .containsExactly(new ServerSentEvents.Event("7", "change", "{\"seq\":7}"));
    }

    @Test
    void data_over_several_lines_is_joined_with_newlines() {
        assertThat(parse("event: change", "data: {", "data:  \"seq\": 7", "data:}", ""))
                .containsExactly(new ServerSentEvents.Event("", "change", "{\n \"seq\": 7\n}"));
    }

    @Test
    void comments_are_heartbeats_and_dispatch_nothing() {
        ServerSentEvents events = new ServerSentEvents();
        assertThat(events.line(": keep-alive")).isEqualTo(new ServerSentEvents.Comment("keep-alive"));
        assertThat(events.line("")).isInstanceOf(ServerSentEvents.Pending.class);
    }

    @Test
    void an_event_without_a_type_is_a_message_and_the_type_does_not_carry_over() {
        assertThat(parse("event: resync", "data: {\"seq\": 3}", "", "data: x", ""))
                .containsExactly(new ServerSentEvents.Event("", "resync", "{\"seq\": 3}"),
                        new ServerSentEvents.Event("", "message", "x"));
    }

    @Test
    void an_event_without_data_is_not_dispatched_and_the_last_id_is_kept() {
        assertThat(parse("\uFEFFid: 4", "event: change", "", "data", "", "retry: 100", "data:y", ""))
                .containsExactly(new ServerSentEvents.Event("4", "message", ""),
                        new ServerSentEvents.Event("4", "message", "y"));
    }

    @Test
    void an_event_cut_off_before_its_blank_line_is_not_dispatched() {
        assertThat(parse("event: change", "data: {\"seq\":8}")).isEmpty();
    }

    private static List<ServerSentEvents.Event> parse(String... lines) {
        ServerSentEvents events = new ServerSentEvents();
        return Stream.of(lines).map(events::line)
                .flatMap(parsed -> parsed instanceof ServerSentEvents.Event event ? Stream.of(event) : Stream.empty())
                .toList();
    }
}
