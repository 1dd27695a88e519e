// Pure-Java core: no Android dependencies, so it is unit-tested on any JDK
// (`./gradlew :core:test`, or `bash core/run_tests.sh` without Gradle).
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_11
    targetCompatibility = JavaVersion.VERSION_11
}

dependencies {
    testImplementation(libs.junit)
}
