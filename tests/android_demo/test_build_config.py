"""The Gradle project (for Android Studio users) and build_apk.sh (the APK CI builds and
checks) must describe the same app: dependency versions, SDK levels, Java level and source
folders. Both read gradle/libs.versions.toml; this checks that neither hard-codes its own."""
import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "android_demo"


def catalog():
    with open(DEMO / "gradle" / "libs.versions.toml", "rb") as f:
        return tomllib.load(f)


def script_config():
    out = subprocess.run(["bash", str(DEMO / "build_apk.sh"), "--print-config"], check=True,
                         capture_output=True, text=True).stdout
    config = {}
    for line in out.splitlines():
        key, value = line.split("=", 1)
        config.setdefault(key, []).append(value)
    return config


def gradle(path):
    return (DEMO / path).read_text()


def test_sdk_levels_and_litert_version_agree():
    versions = catalog()["versions"]
    config = script_config()
    for key in ("litert", "tfliteApi", "compileSdk", "targetSdk", "minSdk"):
        assert config[key] == [versions[key]], key
    assert versions["minSdk"] == "26"
    app = gradle("app/build.gradle.kts")
    # the Gradle build takes the SDK levels from the catalog, not from literals
    assert "compileSdk = libs.versions.compileSdk.get().toInt()" in app
    assert "minSdk = libs.versions.minSdk.get().toInt()" in app
    assert "targetSdk = libs.versions.targetSdk.get().toInt()" in app
    assert not re.search(r"(compileSdk|minSdk|targetSdk)\s*=\s*\d", app)


def test_dependencies_agree():
    cat = catalog()
    versions, libraries = cat["versions"], cat["libraries"]
    app = gradle("app/build.gradle.kts")
    deps = re.findall(r"^\s*implementation\((libs\.[\w.]+)\)", app, re.M)
    aliases = sorted(d[len("libs."):].replace(".", "-") for d in deps)
    assert aliases == ["litert"]

    def coordinates(alias):
        lib = libraries[alias]
        return f"{lib['group']}:{lib['name']}:{versions[lib['version']['ref']]}"

    script_artifacts = script_config()["artifact"]
    # the same LiteRT; build_apk.sh adds Central's tensorflow-lite-api as its stand-in for
    # litert-api (Google's Maven only), which Gradle takes through litert's POM instead
    assert [a for a in script_artifacts if a.startswith("com.google.ai.edge.litert:")] == [coordinates("litert")]
    assert [a for a in script_artifacts if a.startswith("org.tensorflow:")] == [coordinates("tflite-api")]
    # only the platform API plus LiteRT: no AndroidX, no GPU delegate
    groups = {lib["group"] for lib in libraries.values()}
    assert groups == {"com.google.ai.edge.litert", "org.tensorflow", "junit", "org.robolectric"}, groups
    # test dependencies: JUnit and Robolectric, the versions --check runs
    tests = sorted(re.findall(r"^\s*testImplementation\((libs\.[\w.]+)\)", app, re.M))
    assert tests == ["libs.junit", "libs.robolectric"]
    config = script_config()
    assert config["junit"] == [versions["junit"]]
    assert config["robolectric"] == [versions["robolectric"]]
    activity_test = (DEMO / "app/src/test/java/org/bisenetv2tf/demo/MainActivityTest.java").read_text()
    assert f"@Config(sdk = {versions['robolectricSdk']})" in activity_test
    text = (app + gradle("core/build.gradle.kts")).lower()
    for banned in ("androidx", "litert-gpu", "tensorflow-lite-gpu", "camera", "appcompat"):
        assert banned not in text, banned


def test_java_level_and_source_folders_agree():
    config = script_config()
    assert config["javaRelease"] == ["8"]
    for path in ("app/build.gradle.kts", "core/build.gradle.kts"):
        text = gradle(path)
        assert "sourceCompatibility = JavaVersion.VERSION_1_8" in text, path
        assert "targetCompatibility = JavaVersion.VERSION_1_8" in text, path
        # Gradle's default source sets, which the script compiles
        assert "sourceSets" not in text, path
    assert sorted(config["source"]) == sorted([
        "app/src/main/java", "core/src/main/java", "app/src/main/res",
        "app/src/main/AndroidManifest.xml", "app/src/test/java"])
    for source in config["source"]:
        assert (DEMO / source).exists(), source
    settings = gradle("settings.gradle.kts")
    assert 'include(":app", ":core")' in settings
    assert config["package"] == ["org.bisenetv2tf.demo"]
    assert 'namespace = "org.bisenetv2tf.demo"' in gradle("app/build.gradle.kts")
    assert 'applicationId = "org.bisenetv2tf.demo"' in gradle("app/build.gradle.kts")


def test_app_uses_no_androidx_and_no_lambdas():
    for root in ("app/src/main/java", "core/src/main/java"):
        for path in (DEMO / root).rglob("*.java"):
            code = path.read_text()
            assert "import androidx." not in code, path
            if root.startswith("core"):
                assert "import android." not in code, path
            # strip comments and strings before looking for lambdas / method references
            stripped = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\])*\"", "", code, flags=re.S)
            assert "->" not in stripped and "::" not in stripped, f"{path}: lambda or method reference"
