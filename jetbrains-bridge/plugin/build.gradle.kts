import org.jetbrains.intellij.platform.gradle.IntelliJPlatformType

// The plugin glue. The IDE-independent logic lives in ../core (plain Java, built with Maven);
// this build packages that jar into the plugin.
plugins {
    id("java")
    id("org.jetbrains.kotlin.jvm") version "2.1.20"
    id("org.jetbrains.intellij.platform") version "2.5.0"
}

group = "dev.mirrordide"
version = providers.gradleProperty("pluginVersion").get()

val coreDir = layout.projectDirectory.dir("../core")
val coreJar = coreDir.file("target/mirrord-ide-core-0.1.0.jar")

repositories {
    mavenCentral()
    intellijPlatform {
        defaultRepositories()
    }
}

dependencies {
    // Gson comes with the IDE; the core jar is bundled into the plugin.
    implementation(files(coreJar))
    intellijPlatform {
        create(
            IntelliJPlatformType.fromCode(providers.gradleProperty("platformType").get()),
            providers.gradleProperty("platformVersion").get(),
        )
        bundledPlugins(providers.gradleProperty("platformBundledPlugins").map { it.split(',').map(String::trim) })
        plugins(providers.gradleProperty("platformPlugins").map { it.split(',').map(String::trim) })
        pluginVerifier()
        zipSigner()
    }
}

kotlin {
    jvmToolchain(17)
}

intellijPlatform {
    pluginConfiguration {
        version = providers.gradleProperty("pluginVersion")
        ideaVersion {
            sinceBuild = providers.gradleProperty("pluginSinceBuild")
            untilBuild = providers.gradleProperty("pluginUntilBuild").orElse("")
        }
    }
    pluginVerification {
        ides {
            recommended()
        }
    }
}

// Builds the core jar with Maven before Kotlin compiles against it.
val buildCore by tasks.registering(Exec::class) {
    workingDir = coreDir.asFile
    commandLine("mvn", "-q", "-DskipTests", "package")
    inputs.dir(coreDir.dir("src/main"))
    inputs.file(coreDir.file("pom.xml"))
    outputs.file(coreJar)
}

tasks {
    compileKotlin { dependsOn(buildCore) }
    compileJava { dependsOn(buildCore) }
}
