// Keep in step with build_apk.sh (the APK built without Gradle): both read versions and SDK
// levels from gradle/libs.versions.toml, use the default source folders and Java 8 bytecode;
// tests/android_demo/test_build_config.py checks that they agree.
plugins {
    alias(libs.plugins.android.application)
}

android {
    namespace = "org.bisenetv2tf.demo"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "org.bisenetv2tf.demo"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    // build_apk.sh compiles with javac --release 8 and dexes without desugaring: no lambdas
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }

    // MainActivityTest runs on Robolectric with the app's resources
    testOptions {
        unitTests {
            isIncludeAndroidResources = true
        }
    }

    // Models are memory-mapped straight from the APK: they must be stored uncompressed.
    androidResources {
        noCompress += listOf("tflite", "json")
    }

    // Native libraries stored uncompressed and page-aligned in the APK, loaded from there
    // (extractNativeLibs="false"): what 16 KB-page devices need, with LiteRT's 16 KB-aligned .so.
    packaging {
        jniLibs {
            useLegacyPackaging = false
        }
    }
}

// The models are build inputs copied from models/camvid by tools/copy_models.sh; fail early
// with that hint instead of building an app that cannot start. (Nothing is downloaded.)
val checkModelAssets by tasks.registering {
    val assets = layout.projectDirectory.dir("src/main/assets")
    inputs.dir(assets).optional()
    doLast {
        val files = assets.asFile.list()?.toList() ?: emptyList()
        val models = files.filter { it.endsWith(".tflite") }
        if (models.isEmpty() || models.any { !files.contains(it.removeSuffix(".tflite") + ".json") }) {
            throw GradleException(
                "No model (.tflite + .json) in app/src/main/assets. Convert the CamVid model and run " +
                    "android_demo/tools/copy_models.sh (see android_demo/README.md).")
        }
    }
}
tasks.named("preBuild") { dependsOn(checkModelAssets) }

dependencies {
    implementation(project(":core"))

    // LiteRT's classic Interpreter, CPU only (see README, "Delegates"); litert-api comes with it
    // from Google's Maven repository. For the GPU, see the README.
    implementation(libs.litert)

    testImplementation(libs.junit)
    testImplementation(libs.robolectric)
}
