using System.Text.Json;
using System.Xml;

namespace Marconi.Transport.Sqs;

/// <summary>
/// Writes an action's result once for both protocols: the JSON protocol's members, lists and maps,
/// and the query protocol's flattened XML elements (a list's items repeat the item element, a map's
/// entries repeat an element of key and value).
/// </summary>
public abstract class SqsWriter
{
    public abstract void String(string name, string value);

    /// <summary>A boolean member: a JSON <c>true</c>/<c>false</c>, the text <c>true</c>/<c>false</c> in XML.</summary>
    public abstract void Boolean(string name, bool value);

    /// <summary>Starts a list of objects: a JSON array; nothing in XML, whose items are flattened.</summary>
    public abstract void StartList(string jsonName);

    public abstract void EndList();

    /// <summary>Starts one object of a list: a JSON object, or an XML element named <paramref name="xmlName"/>.</summary>
    public abstract void StartItem(string xmlName);

    public abstract void EndItem();

    public abstract void StringList(string jsonName, string xmlName, IEnumerable<string> values);

    public abstract void StringMap(string jsonName, string xmlName, string keyName, string valueName, IEnumerable<KeyValuePair<string, string>> entries);

    public abstract void AttributeMap(string jsonName, string xmlName, IEnumerable<KeyValuePair<string, SqsAttributeValue>> entries);

    /// <summary>The JSON protocol's writer: members of the one answer object.</summary>
    public sealed class Json(Utf8JsonWriter writer) : SqsWriter
    {
        public override void String(string name, string value) => writer.WriteString(name, value);

        public override void Boolean(string name, bool value) => writer.WriteBoolean(name, value);

        /// <summary>A list started but not yet written: SQS leaves an empty list out of its answers.</summary>
        private string? _pendingList;
        private bool _listOpen;

        public override void StartList(string jsonName)
        {
            _pendingList = jsonName;
            _listOpen = false;
        }

        public override void EndList()
        {
            if (_listOpen)
            {
                writer.WriteEndArray();
            }

            _pendingList = null;
            _listOpen = false;
        }

        public override void StartItem(string xmlName)
        {
            if (_pendingList is { } name && !_listOpen)
            {
                writer.WriteStartArray(name);
                _listOpen = true;
            }

            writer.WriteStartObject();
        }

        public override void EndItem() => writer.WriteEndObject();

        public override void StringList(string jsonName, string xmlName, IEnumerable<string> values)
        {
            writer.WriteStartArray(jsonName);
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        public override void StringMap(string jsonName, string xmlName, string keyName, string valueName, IEnumerable<KeyValuePair<string, string>> entries)
        {
            writer.WriteStartObject(jsonName);
            foreach (var (key, value) in entries)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        public override void AttributeMap(string jsonName, string xmlName, IEnumerable<KeyValuePair<string, SqsAttributeValue>> entries)
        {
            writer.WriteStartObject(jsonName);
            foreach (var (name, value) in entries)
            {
                writer.WriteStartObject(name);
                writer.WriteString("DataType", value.DataType);
                if (value.StringValue is { } text)
                {
                    writer.WriteString("StringValue", text);
                }

                if (value.BinaryValue is { } binary)
                {
                    writer.WriteBase64String("BinaryValue", binary);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>The query protocol's writer: elements inside the action's <c>…Result</c> element.</summary>
    public sealed class Xml(XmlWriter writer) : SqsWriter
    {
        public override void String(string name, string value) => writer.WriteElementString(name, Clean(value));

        public override void Boolean(string name, bool value) => writer.WriteElementString(name, value ? "true" : "false");

        /// <summary>
        /// XML 1.0 cannot carry some characters a message posted through Marconi's own API may hold
        /// (control characters); they are sent as U+FFFD rather than as a document the client cannot parse.
        /// </summary>
        internal static string Clean(string value)
        {
            var valid = true;
            for (var i = 0; i < value.Length && valid; i++)
            {
                valid = XmlConvert.IsXmlChar(value[i])
                    || (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[++i]));
            }

            if (valid)
            {
                return value;
            }

            var clean = new System.Text.StringBuilder(value.Length);
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    clean.Append(c).Append(value[++i]);
                }
                else
                {
                    clean.Append(XmlConvert.IsXmlChar(c) ? c : '\uFFFD');
                }
            }

            return clean.ToString();
        }

        public override void StartList(string jsonName)
        {
        }

        public override void EndList()
        {
        }

        public override void StartItem(string xmlName) => writer.WriteStartElement(xmlName);

        public override void EndItem() => writer.WriteEndElement();

        public override void StringList(string jsonName, string xmlName, IEnumerable<string> values)
        {
            foreach (var value in values)
            {
                writer.WriteElementString(xmlName, Clean(value));
            }
        }

        public override void StringMap(string jsonName, string xmlName, string keyName, string valueName, IEnumerable<KeyValuePair<string, string>> entries)
        {
            foreach (var (key, value) in entries)
            {
                writer.WriteStartElement(xmlName);
                writer.WriteElementString(keyName, Clean(key));
                writer.WriteElementString(valueName, Clean(value));
                writer.WriteEndElement();
            }
        }

        public override void AttributeMap(string jsonName, string xmlName, IEnumerable<KeyValuePair<string, SqsAttributeValue>> entries)
        {
            foreach (var (name, value) in entries)
            {
                writer.WriteStartElement(xmlName);
                writer.WriteElementString("Name", Clean(name));
                writer.WriteStartElement("Value");
                if (value.StringValue is { } text)
                {
                    writer.WriteElementString("StringValue", Clean(text));
                }

                if (value.BinaryValue is { } binary)
                {
                    writer.WriteElementString("BinaryValue", Convert.ToBase64String(binary));
                }

                writer.WriteElementString("DataType", Clean(value.DataType));
                writer.WriteEndElement();
                writer.WriteEndElement();
            }
        }
    }
}
