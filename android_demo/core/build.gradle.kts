// Pure-Java core: no Android dependencies, so it is unit-tested on any JDK
// (`./gradlew :core:test`, or `bash core/run_tests.sh` without Gradle). Java 8 bytecode,
// like build_apk.sh's javac --release 8.
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_1_8
    targetCompatibility = JavaVersion.VERSION_1_8
}

dependencies {
    testImplementation(libs.junit)
}
