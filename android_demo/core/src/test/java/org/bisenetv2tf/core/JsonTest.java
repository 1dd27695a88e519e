package org.bisenetv2tf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
    @Test
    public void parsesNestedDocumentInOrder() {
        Map<String, Object> m = Json.parseObject(
                "{\"b\": [1, -2.5, true, false, null, \"x\"], \"a\": {\"k\": {}}, \"e\": []}");
        assertEquals(Arrays.asList("b", "a", "e"), Arrays.asList(m.keySet().toArray()));
        List<?> b = (List<?>) m.get("b");
        assertEquals(Arrays.asList(1L, -2.5, true, false, null, "x"), b);
        assertTrue(((Map<?, ?>) ((Map<?, ?>) m.get("a")).get("k")).isEmpty());
        assertTrue(((List<?>) m.get("e")).isEmpty());
    }

    @Test
    public void numbersAreLongsOrDoubles() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(9007199254740993L, Json.parse("9007199254740993"));
        assertEquals(1.0e-5, Json.parse("1e-5"));
        assertEquals(3.60970116162207e-05, Json.parse("3.60970116162207e-05"));
        assertEquals(2.5E10, Json.parse("2.5E+10"));
        // an integer too big for a long becomes a double, as Python would read it as a float
        assertEquals(1.0e20, Json.parse("100000000000000000000"));
        // float32 values written by Python round-trip exactly through double -> float
        assertEquals(0.018729716539382935f, (float) (double) (Double) Json.parse("0.018729716539382935"), 0f);
    }

    @Test
    public void acceptsPythonNonFiniteFloats() {
        assertTrue(Double.isNaN((Double) Json.parse("NaN")));
        assertEquals(Double.POSITIVE_INFINITY, Json.parse("Infinity"));
        assertEquals(Arrays.asList(Double.NEGATIVE_INFINITY, 1L), Json.parse("[-Infinity, 1]"));
    }

    @Test
    public void decodesEscapesAndUnicode() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("\u00e9\u4e2d", Json.parse("\"\\u00E9\\u4e2d\""));
        assertEquals("\ud83d\ude00", Json.parse("\"\\ud83d\\ude00\"")); // surrogate pair
        assertEquals("Stra\u00dfe", Json.parse("\"Stra\u00dfe\"")); // raw non-ASCII
    }

    @Test
    public void allowsSurroundingWhitespaceOnly() {
        assertEquals(true, Json.parse(" \t\r\n true \n"));
        assertNull(Json.parse("null"));
    }

    @Test
    public void resultsAreImmutable() {
        Map<String, Object> m = Json.parseObject("{\"a\": [1]}");
        try {
            m.put("b", 2);
            fail("map was modifiable");
        } catch (UnsupportedOperationException expected) {
            // ok
        }
        try {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) m.get("a");
            list.add(3L);
            fail("list was modifiable");
        } catch (UnsupportedOperationException expected) {
            // ok
        }
    }

    private static Json.JsonException parseError(String text) {
        try {
            Json.parse(text);
        } catch (Json.JsonException e) {
            return e;
        }
        throw new AssertionError("no error for: " + text);
    }

    @Test
    public void rejectsInvalidDocumentsWithPosition() {
        String[][] bad = {
            {"", "unexpected end of input"},
            {"[1, 2,]", "unexpected character ']'"},
            {"{\"a\": 1,}", "expected a string key"},
            {"{'a': 1}", "expected a string key"},
            {"01", "leading zeros"},
            {"1.", "expected a digit after '.'"},
            {"1e", "expected a digit in the exponent"},
            {"-", "expected a digit"},
            {"\"abc", "unterminated string"},
            {"\"a\tb\"", "control character U+0009"},
            {"\"\\x\"", "invalid escape"},
            {"\"\\u12g4\"", "bad hex digit"},
            {"\"\\u12\"", "truncated"},
            {"[1] 2", "unexpected data after"},
            {"{\"a\": 1, \"a\": 2}", "duplicate key \"a\""},
            {"tru", "expected true"},
            {"[1 2]", "expected ',' or ']'"},
            {"{\"a\" 1}", "expected ':'"},
            {"// c\n1", "unexpected character '/'"},
        };
        for (String[] b : bad) {
            Json.JsonException e = parseError(b[0]);
            assertTrue("'" + b[0] + "' -> " + e.getMessage(), e.getMessage().contains(b[1]));
        }
    }

    @Test
    public void errorPositionIsLineAndColumn() {
        Json.JsonException e = parseError("{\n  \"a\": [1,\n   x]\n}");
        assertEquals(3, e.line);
        assertEquals(4, e.column);
        assertTrue(e.getMessage().endsWith("at line 3, column 4"));
    }

    @Test
    public void deepNestingIsAnErrorNotAStackOverflow() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10000; i++) {
            sb.append('[');
        }
        assertTrue(parseError(sb.toString()).getMessage().contains("nesting deeper than"));
        // the limit itself is fine
        StringBuilder ok = new StringBuilder();
        for (int i = 0; i < Json.MAX_DEPTH; i++) {
            ok.append('[');
        }
        for (int i = 0; i < Json.MAX_DEPTH; i++) {
            ok.append(']');
        }
        assertTrue(Json.parse(ok.toString()) instanceof List);
    }

    @Test
    public void parseObjectRejectsOtherTopLevelValues() {
        try {
            Json.parseObject("[1]");
            fail();
        } catch (Json.JsonException e) {
            assertTrue(e.getMessage().contains("not an object"));
        }
    }
}
