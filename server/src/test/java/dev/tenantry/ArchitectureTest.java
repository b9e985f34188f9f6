package dev.tenantry;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dependency direction of DESIGN.md: platform wires everything; the rest points inward. */
class ArchitectureTest {
    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tenantry");
    }

    @Test
    void catalog_depends_on_nothing_of_ours() {
        noClasses().that().resideInAPackage("dev.tenantry.catalog..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.sdk..", "dev.tenantry.functions..", "dev.tenantry.runtime..")
                .check(classes);
    }

    @Test
    void provision_depends_only_on_the_catalog() {
        noClasses().that().resideInAPackage("dev.tenantry.provision..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.sdk..")
                .check(classes);
    }

    @Test
    void api_depends_only_on_the_catalog_provisioning_and_contexts() {
        // dev.tenantry.sdk.context is the read model the context service and the SDK share; the
        // rest of the SDK (the admin client) is for clients, not for the server.
        noClasses().that().resideInAPackage("dev.tenantry.api..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.cli..", "dev.tenantry.platform..",
                        "dev.tenantry.sdk", "dev.tenantry.gateway..")
                .check(classes);
    }

    @Test
    void context_depends_on_nothing_of_ours_but_the_shared_read_model() {
        noClasses().that().resideInAPackage("dev.tenantry.context..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.provision..", "dev.tenantry.gateway..", "dev.tenantry.sdk")
                .check(classes);
    }

    @Test
    void gateway_depends_only_on_the_contexts_and_the_invoker() {
        noClasses().that().resideInAPackage("dev.tenantry.gateway..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.provision..", "dev.tenantry.catalog..", "dev.tenantry.sdk")
                .check(classes);
    }

    @Test
    void the_runtime_depends_on_nothing_of_ours() {
        noClasses().that().resideInAPackage("dev.tenantry.runtime..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.provision..", "dev.tenantry.catalog..", "dev.tenantry.gateway..",
                        "dev.tenantry.functions..", "dev.tenantry.context..", "dev.tenantry.sdk..")
                .check(classes);
    }

    @Test
    void functions_depend_only_on_the_runtime_the_catalog_and_the_read_model() {
        noClasses().that().resideInAPackage("dev.tenantry.functions..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.api..", "dev.tenantry.cli..",
                        "dev.tenantry.platform..", "dev.tenantry.provision..", "dev.tenantry.gateway..", "dev.tenantry.context..",
                        "dev.tenantry.sdk")
                .check(classes);
    }

    @Test
    void cli_is_a_client_of_the_api_through_the_sdk_only() {
        noClasses().that().resideInAPackage("dev.tenantry.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.catalog..", "dev.tenantry.api..",
                        "dev.tenantry.platform..", "dev.tenantry.provision..")
                .check(classes);
    }

    @Test
    void the_sdk_knows_nothing_of_the_server() {
        noClasses().that().resideInAPackage("dev.tenantry.sdk..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tenantry.catalog..", "dev.tenantry.api..",
                        "dev.tenantry.cli..", "dev.tenantry.platform..", "dev.tenantry.provision..")
                .check(classes);
    }

    @Test
    void nothing_depends_on_the_platform_but_itself() {
        noClasses().that().resideOutsideOfPackage("dev.tenantry.platform..")
                .should().dependOnClassesThat().resideInAPackage("dev.tenantry.platform..")
                .check(classes);
    }
}
