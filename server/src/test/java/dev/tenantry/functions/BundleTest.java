package dev.tenantry.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantry.catalog.CatalogException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {
    @TempDir
    Path dir;

    @Test
    void a_tar_gz_made_by_tar_unpacks_with_its_top_directory_stripped() throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("package/lib"));
        Files.writeString(dir.resolve("package/package.json"), "{\"main\":\"lib/handler.js\",\"dependencies\":{\"left-pad\":\"^1.3.0\"}}");
        Files.writeString(pkg.resolve("handler.js"), "exports.handler = async () => 1;");
        Process tar = new ProcessBuilder("tar", "-C", dir.toString(), "-czf", dir.resolve("b.tgz").toString(), "package").start();
        assertThat(tar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Bundle b = Bundle.ofArchive(Files.readAllBytes(dir.resolve("b.tgz")), Optional.empty(), Optional.empty());
        assertThat(b.files().keySet()).containsExactlyInAnyOrder("package.json", "lib/handler.js");
        assertThat(b.entry()).isEqualTo("lib/handler.js");
        assertThat(b.dependencies()).containsEntry("left-pad", "^1.3.0");
        assertThat(b.sha256()).hasSize(64).isEqualTo(Bundle.ofArchive(Files.readAllBytes(dir.resolve("b.tgz")), Optional.empty(),
                Optional.empty()).sha256());
    }

    @Test
    void paths_that_climb_out_are_refused() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("../../etc/cron.d/x"));
            zip.write("boom".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> Bundle.ofArchive(bytes.toByteArray(), Optional.of("index.js"), Optional.empty()))
                .isInstanceOf(CatalogException.InvalidInput.class).hasMessageContaining("bundle");
    }

    @Test
    void a_bundle_without_an_entry_says_what_it_looked_for() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("lib.js"));
            zip.write("x".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> Bundle.ofArchive(bytes.toByteArray(), Optional.empty(), Optional.empty()))
                .hasMessageContaining("index.js");
    }

    @Test
    void a_bad_package_json_is_a_field_error() {
        assertThatThrownBy(() -> Bundle.ofSource("x", Optional.empty(), Optional.of("{not json")))
                .isInstanceOf(CatalogException.InvalidInput.class).hasMessageContaining("packageJson");
    }
}
