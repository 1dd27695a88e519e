plugins {
    alias(libs.plugins.android.application)
}

android {
    namespace = "org.bisenetv2tf.demo"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.bisenetv2tf.demo"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_11
        targetCompatibility = JavaVersion.VERSION_11
    }

    // Models are memory-mapped straight from the APK: they must be stored uncompressed.
    androidResources {
        noCompress += "tflite"
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

    implementation(libs.litert)
    implementation(libs.litert.gpu)

    implementation(libs.camera.core)
    implementation(libs.camera.camera2)
    implementation(libs.camera.lifecycle)
    implementation(libs.camera.view)

    implementation(libs.appcompat)
    implementation(libs.activity)
    implementation(libs.constraintlayout)
    implementation(libs.exifinterface)
}
