namespace Ocr.Pipeline.Neural;

/// <summary>
/// Rewrites three patterns of Paddle-exported ONNX models into fewer nodes computing the same
/// values, before ONNX Runtime opens them:
/// <list type="bullet">
/// <item>hard-swish, exported as four element-wise nodes (<c>x · clip(x + 3, 0, 6) / 6</c>: Add,
/// Clip, Mul, Div), becomes <c>x · HardSigmoid(x)</c> (α = 1/6, β = 1/2): two passes over each
/// activation instead of four;</item>
/// <item>a convolution followed by a scalar scale and shift (PP-LCNetV3's learnable affine blocks:
/// Conv, Mul, Add) becomes the convolution alone, its weights scaled and its bias shifted;</item>
/// <item>the same scale and shift after an activation, where no convolution takes it in, becomes one
/// BatchNormalization (see <see cref="ScaleAndShift"/>; the engine's default, which a caller can turn off).</item>
/// </list>
/// PP-OCRv4 recognition spent 43 % of its time in Add, Mul, Clip and Div against 42 % in Conv.
/// Works on the protobuf wire format alone: everything it does not rewrite is copied byte for byte.
/// </summary>
public static class OnnxGraphFusion
{
    // onnx.proto field numbers.
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphOutput = 12;
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeName = 3;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int AttributeName = 1;
    private const int AttributeFloat = 2;
    private const int AttributeTensor = 5;
    private const int AttributeGraph = 6;
    private const int AttributeGraphs = 11;
    private const int AttributeType = 20;
    private const int AttributeTypeFloat = 1;
    private const int AttributeTypeTensor = 4;
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorFloatData = 4;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorTypeFloat = 1;
    private const int ValueInfoName = 1;

    /// <summary>The model rewritten, and how many patterns were; the input itself when there were none.</summary>
    /// <param name="affineAfterActivations">
    /// Whether affine blocks after activations become BatchNormalization (see <see cref="ScaleAndShift"/>):
    /// a sixth less CPU per neural receipt; off leaves them as the exporter wrote them.
    /// </param>
    public static (byte[] Model, int Fused) Rewrite(byte[] model, bool affineAfterActivations = true)
    {
        var fields = Fields(model);
        var graphField = fields.FindIndex(f => f.Number == ModelGraph);
        if (graphField < 0)
        {
            return (model, 0);
        }

        var graph = Fields(fields[graphField].Payload);
        var nodes = graph.Where(f => f.Number == GraphNode).Select(f => Node.Parse(f.Payload)).ToList();
        if (nodes.Any(n => n.HasSubgraph))
        {
            return (model, 0); // consumers inside subgraphs are not counted below
        }

        var constants = new Dictionary<string, float>();
        foreach (var initializer in graph.Where(f => f.Number == GraphInitializer))
        {
            if (ScalarOf(initializer.Payload, out var name) is { } value)
            {
                constants[name] = value;
            }
        }

        var constantNodes = new Dictionary<string, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].OpType == "Constant" && nodes[i].Outputs.Count == 1)
            {
                constantNodes[nodes[i].Outputs[0]] = i;
                if (nodes[i].ConstantValue is { } value)
                {
                    constants[nodes[i].Outputs[0]] = value;
                }
            }
        }

        var consumers = new Dictionary<string, int>();
        foreach (var input in nodes.SelectMany(n => n.Inputs))
        {
            consumers[input] = consumers.GetValueOrDefault(input) + 1;
        }

        foreach (var output in graph.Where(f => f.Number == GraphOutput))
        {
            var name = StringField(output.Payload, ValueInfoName);
            consumers[name] = consumers.GetValueOrDefault(name) + 1;
        }

        var producedBy = new Dictionary<string, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var output in nodes[i].Outputs)
            {
                producedBy[output] = i;
            }
        }

        // A node's replacement: the nodes written in its place (none: removed).
        var replaced = new Dictionary<int, byte[][]>();
        var fused = 0;
        for (var i = 0; i < nodes.Count; i++)
        {
            if (FoldAffine(nodes, i, constants, consumers, constantNodes) is { } fold)
            {
                foreach (var (index, replacement) in fold)
                {
                    replaced[index] = replacement;
                }

                fused++;
            }
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            if (Match(nodes, i, constants, consumers, producedBy) is not { } match)
            {
                continue;
            }

            var (x, clip, multiply, divide) = match;
            var gate = nodes[clip].Outputs[0];
            replaced[i] = [NodeBytes(gate + "_hardsigmoid", "HardSigmoid", [x], [gate], [("alpha", 1f / 6f), ("beta", 0.5f)])];
            replaced[clip] = [];
            replaced[multiply] = [NodeBytes(nodes[multiply].Name, "Mul", [x, gate], [nodes[divide].Outputs[0]], [])];
            replaced[divide] = [];
            fused++;
        }

        for (var i = 0; affineAfterActivations && i < nodes.Count; i++)
        {
            if (!replaced.ContainsKey(i) && ScaleAndShift(nodes, i, constants, consumers, producedBy, constantNodes) is { } affine
                && !replaced.ContainsKey(affine.Shift))
            {
                var (input, shift, channels, scale, offset) = affine;
                var output = nodes[shift].Outputs[0];
                string[] parameters = [output + "_scale", output + "_bias", output + "_mean", output + "_variance"];
                replaced[i] =
                [
                    ConstantBytes(parameters[0], [channels], Enumerable.Repeat(scale, channels).ToArray()),
                    ConstantBytes(parameters[1], [channels], Enumerable.Repeat(offset, channels).ToArray()),
                    ConstantBytes(parameters[2], [channels], new float[channels]),
                    ConstantBytes(parameters[3], [channels], Enumerable.Repeat(1f - AffineEpsilon, channels).ToArray()),
                    NodeBytes(output + "_affine", "BatchNormalization", [input, .. parameters], [output], [("epsilon", AffineEpsilon)]),
                ];
                replaced[shift] = [];
                fused++;
            }
        }

        if (fused == 0)
        {
            return (model, 0);
        }

        DropOrphanedConstants(nodes, replaced, consumers);

        var rewrittenGraph = new ProtoWriter(fields[graphField].Payload.Length + 4096);
        var nodeIndex = 0;
        foreach (var field in graph)
        {
            if (field.Number != GraphNode)
            {
                rewrittenGraph.Raw(field);
                continue;
            }

            if (!replaced.TryGetValue(nodeIndex++, out var replacement))
            {
                rewrittenGraph.Raw(field);
                continue;
            }

            foreach (var node in replacement)
            {
                rewrittenGraph.Bytes(GraphNode, node);
            }
        }

        // Written straight into an array of the final size: the models are megabytes, and every spare copy is garbage for the large object heap.
        var oldGraph = fields[graphField].Payload.Length;
        var newGraph = rewrittenGraph.Written.Length;
        var result = new byte[model.Length - oldGraph - VarintSize((ulong)oldGraph) + newGraph + VarintSize((ulong)newGraph)];
        var rewritten = new ProtoWriter(result);
        for (var i = 0; i < fields.Count; i++)
        {
            if (i == graphField)
            {
                rewritten.Bytes(ModelGraph, rewrittenGraph.Written);
            }
            else
            {
                rewritten.Raw(fields[i]);
            }
        }

        return (result, fused);
    }

    /// <summary>Add(x, 3) → Clip(0, 6) → Mul(x, ·) → Div(6), each result read only by the next: x and the three later nodes.</summary>
    private static (string X, int Clip, int Multiply, int Divide)? Match(
        List<Node> nodes, int add, Dictionary<string, float> constants, Dictionary<string, int> consumers, Dictionary<string, int> producedBy)
    {
        var node = nodes[add];
        if (node.OpType != "Add" || node.Inputs.Count != 2 || node.Outputs.Count != 1)
        {
            return null;
        }

        var x = Is(constants, node.Inputs[1], 3f) ? node.Inputs[0] : Is(constants, node.Inputs[0], 3f) ? node.Inputs[1] : null;
        if (x is null || OnlyConsumer(nodes, node.Outputs[0], consumers) is not { } clip)
        {
            return null;
        }

        var clipNode = nodes[clip];
        // Clip takes its bounds as inputs from opset 11, as attributes before.
        var clipsTo0And6 = clipNode.Inputs.Count == 3
            ? Is(constants, clipNode.Inputs[1], 0f) && Is(constants, clipNode.Inputs[2], 6f)
            : clipNode.Inputs.Count == 1 && clipNode.Floats.GetValueOrDefault("min", float.NaN) == 0f && clipNode.Floats.GetValueOrDefault("max", float.NaN) == 6f;
        if (clipNode.OpType != "Clip" || clipNode.Inputs[0] != node.Outputs[0] || !clipsTo0And6
            || OnlyConsumer(nodes, clipNode.Outputs[0], consumers) is not { } multiply)
        {
            return null;
        }

        var multiplyNode = nodes[multiply];
        var multiplies = multiplyNode.OpType == "Mul" && multiplyNode.Inputs.Count == 2
            && ((multiplyNode.Inputs[0] == x && multiplyNode.Inputs[1] == clipNode.Outputs[0]) || (multiplyNode.Inputs[1] == x && multiplyNode.Inputs[0] == clipNode.Outputs[0]));
        if (!multiplies || OnlyConsumer(nodes, multiplyNode.Outputs[0], consumers) is not { } divide)
        {
            return null;
        }

        var divideNode = nodes[divide];
        if (divideNode.OpType != "Div" || divideNode.Inputs.Count != 2 || divideNode.Inputs[0] != multiplyNode.Outputs[0] || !Is(constants, divideNode.Inputs[1], 6f))
        {
            return null;
        }

        // x must exist before the first node rewritten (it does in a sorted graph; checked all the same).
        return producedBy.TryGetValue(x, out var producer) && producer > add ? null : (x, clip, multiply, divide);
    }

    /// <summary>
    /// Conv → Mul(s) → Add(b) (a learnable affine block right after a convolution), each result
    /// read only by the next and the weights read only by this Conv: the scale and shift go into
    /// the weights (W·s, B·s + b) and the two element-wise nodes go. Returns the nodes to replace
    /// and what replaces them, or null when the pattern is not there.
    /// </summary>
    private static List<(int Index, byte[][] Nodes)>? FoldAffine(
        List<Node> nodes, int conv, Dictionary<string, float> constants, Dictionary<string, int> consumers, Dictionary<string, int> constantNodes)
    {
        var node = nodes[conv];
        if (node.OpType != "Conv" || node.Inputs.Count is < 2 or > 3 || node.Outputs.Count != 1
            || OnlyConsumer(nodes, node.Outputs[0], consumers) is not { } multiply)
        {
            return null;
        }

        var multiplyNode = nodes[multiply];
        var scaleName = multiplyNode.OpType == "Mul" && multiplyNode.Inputs.Count == 2 ? multiplyNode.Inputs.FirstOrDefault(i => i != node.Outputs[0]) : null;
        if (scaleName is null || !constants.TryGetValue(scaleName, out var scale) || OnlyConsumer(nodes, multiplyNode.Outputs[0], consumers) is not { } add)
        {
            return null;
        }

        var addNode = nodes[add];
        var shiftName = addNode.OpType == "Add" && addNode.Inputs.Count == 2 ? addNode.Inputs.FirstOrDefault(i => i != multiplyNode.Outputs[0]) : null;
        if (shiftName is null || !constants.TryGetValue(shiftName, out var shift))
        {
            return null;
        }

        if (!constantNodes.TryGetValue(node.Inputs[1], out var weightsNode) || consumers.GetValueOrDefault(node.Inputs[1]) != 1
            || nodes[weightsNode].Tensor is not { Dims.Length: 4 } weights)
        {
            return null;
        }

        var channels = (int)weights.Dims[0];
        FloatTensor? bias = null;
        var biasNode = -1;
        if (node.Inputs.Count == 3)
        {
            if (!constantNodes.TryGetValue(node.Inputs[2], out biasNode) || consumers.GetValueOrDefault(node.Inputs[2]) != 1
                || nodes[biasNode].Tensor is not { Dims.Length: 1 } existing || existing.Values.Length != channels)
            {
                return null;
            }

            bias = existing;
        }

        var scaled = weights.Values.Select(w => w * scale).ToArray();
        var shifted = Enumerable.Range(0, channels).Select(c => ((bias?.Values[c] ?? 0f) * scale) + shift).ToArray();
        var biasName = bias is not null ? node.Inputs[2] : addNode.Outputs[0] + "_folded_bias";
        var shiftedBias = ConstantBytes(biasName, bias?.Dims ?? [channels], shifted);
        var foldedConv = WithInputsAndOutputs(node, [node.Inputs[0], node.Inputs[1], biasName], [addNode.Outputs[0]]);
        var result = new List<(int, byte[][])>
        {
            (weightsNode, [ConstantBytes(nodes[weightsNode].Outputs[0], weights.Dims, scaled)]),
            (multiply, []),
            (add, []),
        };
        if (bias is not null)
        {
            result.Add((biasNode, [shiftedBias]));
            result.Add((conv, [foldedConv]));
        }
        else
        {
            // A Conv without a bias gets one, written just before it, in its place.
            result.Add((conv, [shiftedBias, foldedConv]));
        }

        return result;
    }

    /// <summary>
    /// Mul(s) → Add(b) with scalar constants that no convolution took in (PP-LCNetV3's affine
    /// block after an activation): the tensor scaled, the Add that alone reads the Mul, the
    /// channel count of the tensor (from the convolution it comes from through element-wise nodes)
    /// and s, b. Written as one BatchNormalization (scale s, bias b, mean 0, variance + epsilon 1),
    /// which computes s·x + b exactly as the two nodes did, in one pass, and which ONNX Runtime's
    /// blocked-layout (NCHWc) rewrite turns into a 1×1 depthwise convolution: the scalar Mul and Add
    /// are outside that layout, so each one forced the tensor out of it and back (recognition spent
    /// 19 % of its time reordering and 21 % in those Mul and Add nodes).
    /// </summary>
    private static (string Input, int Shift, int Channels, float Scale, float Offset)? ScaleAndShift(
        List<Node> nodes, int multiply, Dictionary<string, float> constants, Dictionary<string, int> consumers,
        Dictionary<string, int> producedBy, Dictionary<string, int> constantNodes)
    {
        var node = nodes[multiply];
        if (node.OpType != "Mul" || node.Inputs.Count != 2 || node.Outputs.Count != 1)
        {
            return null;
        }

        var scaleName = node.Inputs.FirstOrDefault(constants.ContainsKey);
        var input = node.Inputs.FirstOrDefault(name => !constants.ContainsKey(name));
        if (scaleName is null || input is null || OnlyConsumer(nodes, node.Outputs[0], consumers) is not { } shift)
        {
            return null;
        }

        var shiftNode = nodes[shift];
        var shiftName = shiftNode.OpType == "Add" && shiftNode.Inputs.Count == 2 && shiftNode.Outputs.Count == 1
            ? shiftNode.Inputs.FirstOrDefault(name => name != node.Outputs[0])
            : null;
        if (shiftName is null || !constants.TryGetValue(shiftName, out var offset)
            || !producedBy.TryGetValue(input, out var producer)
            || ChannelsOf(nodes, producer, constants, producedBy, constantNodes) is not { } channels)
        {
            return null;
        }

        return (input, shift, channels, constants[scaleName], offset);
    }

    // cuDNN refuses a batch normalization's epsilon below 1e-5; variance + epsilon is still 1 (to a float's last bit).
    private const float AffineEpsilon = 1e-5f;

    // Nodes whose output has the channels of their (first non-constant) input.
    private static readonly HashSet<string> ChannelPreserving = ["Mul", "Add", "Sub", "Div", "Clip", "HardSigmoid", "HardSwish", "Relu", "Sigmoid", "BatchNormalization"];

    /// <summary>The channel count of a node's output, found at the convolution it comes from through element-wise nodes; null when not found.</summary>
    private static int? ChannelsOf(List<Node> nodes, int producer, Dictionary<string, float> constants, Dictionary<string, int> producedBy, Dictionary<string, int> constantNodes)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            var node = nodes[producer];
            if (node.OpType == "Conv")
            {
                return node.Inputs.Count >= 2 && constantNodes.TryGetValue(node.Inputs[1], out var weights)
                    && nodes[weights].Tensor is { Dims.Length: 4 } tensor ? (int)tensor.Dims[0] : null;
            }

            var input = ChannelPreserving.Contains(node.OpType) ? node.Inputs.FirstOrDefault(name => !constants.ContainsKey(name)) : null;
            if (input is null || !producedBy.TryGetValue(input, out producer))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>A node's bytes with its inputs and outputs replaced, every other field (attributes included) as it was.</summary>
    private static byte[] WithInputsAndOutputs(Node node, string[] inputs, string[] outputs)
    {
        var writer = new ProtoWriter(node.Bytes.Length + 64);
        writer.InputsAndOutputs(inputs, outputs);
        foreach (var field in Fields(node.Bytes).Where(f => f.Number is not (NodeInput or NodeOutput)))
        {
            writer.Raw(field);
        }

        return writer.ToArray();
    }

    /// <summary>A Constant node giving a float tensor of <paramref name="dims"/>.</summary>
    private static byte[] ConstantBytes(string output, long[] dims, float[] values)
    {
        var tensor = new ProtoWriter((values.Length * 4) + 64);
        foreach (var dim in dims)
        {
            tensor.Varint(TensorDims, (ulong)dim);
        }

        tensor.Varint(TensorDataType, TensorTypeFloat);
        tensor.Bytes(TensorRawData, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        var attribute = new ProtoWriter((values.Length * 4) + 96);
        attribute.String(AttributeName, "value");
        attribute.Bytes(AttributeTensor, tensor.Written);
        attribute.Varint(AttributeType, AttributeTypeTensor);
        var node = new ProtoWriter((values.Length * 4) + 160);
        node.String(NodeOutput, output);
        node.String(NodeName, output + "_constant");
        node.String(NodeOpType, "Constant");
        node.Bytes(NodeAttribute, attribute.Written);
        return node.ToArray();
    }

    /// <summary>Constants that only the rewritten nodes read (3, 6, the scales and shifts) go too.</summary>
    private static void DropOrphanedConstants(List<Node> nodes, Dictionary<int, byte[][]> replaced, Dictionary<string, int> consumers)
    {
        var remaining = new Dictionary<string, int>(consumers);
        foreach (var (index, replacement) in replaced)
        {
            foreach (var input in nodes[index].Inputs)
            {
                remaining[input]--;
            }

            foreach (var input in replacement.SelectMany(bytes => Node.Parse(bytes).Inputs))
            {
                remaining[input] = remaining.GetValueOrDefault(input) + 1;
            }
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].OpType == "Constant" && !replaced.ContainsKey(i) && nodes[i].Outputs.Count == 1
                && consumers.GetValueOrDefault(nodes[i].Outputs[0]) > 0 && remaining.GetValueOrDefault(nodes[i].Outputs[0]) == 0)
            {
                replaced[i] = [];
            }
        }
    }

    private static bool Is(Dictionary<string, float> constants, string name, float value) =>
        constants.TryGetValue(name, out var constant) && constant == value;

    private static int? OnlyConsumer(List<Node> nodes, string tensor, Dictionary<string, int> consumers)
    {
        if (consumers.GetValueOrDefault(tensor) != 1)
        {
            return null;
        }

        var index = nodes.FindIndex(n => n.Inputs.Contains(tensor));
        return index < 0 ? null : index;
    }

    private static byte[] NodeBytes(string name, string opType, string[] inputs, string[] outputs, (string Name, float Value)[] attributes)
    {
        var node = new ProtoWriter(256);
        node.InputsAndOutputs(inputs, outputs);
        node.String(NodeName, name);
        node.String(NodeOpType, opType);
        foreach (var (attributeName, attributeValue) in attributes)
        {
            var attribute = new ProtoWriter(64);
            attribute.String(AttributeName, attributeName);
            attribute.Float(AttributeFloat, attributeValue);
            attribute.Varint(AttributeType, AttributeTypeFloat);
            node.Bytes(NodeAttribute, attribute.Written);
        }

        return node.ToArray();
    }

    /// <summary>A one-element float tensor's value (and its name), else null.</summary>
    private static float? ScalarOf(ReadOnlyMemory<byte> tensor, out string name)
    {
        name = "";
        var type = 0;
        var values = 0L;
        float? single = null;
        var scalarShape = true;
        foreach (var field in Fields(tensor))
        {
            switch (field.Number)
            {
                case TensorDims when field.IsLengthDelimited:
                    var packed = field.Payload.Span;
                    while (packed.Length > 0)
                    {
                        scalarShape &= ProtoReader.Varint(ref packed) == 1;
                    }

                    break;
                case TensorDims:
                    var dim = field.Payload.Span;
                    scalarShape &= ProtoReader.Varint(ref dim) == 1;
                    break;
                case TensorDataType:
                    var typeBytes = field.Payload.Span;
                    type = (int)ProtoReader.Varint(ref typeBytes);
                    break;
                case TensorName:
                    name = field.Text;
                    break;
                case TensorRawData:
                case TensorFloatData:
                    // raw_data, packed float_data and one unpacked float are all little-endian 4-byte values.
                    values += field.Payload.Length / 4;
                    single = field.Payload.Length == 4 ? BitConverter.ToSingle(field.Payload.Span) : null;
                    break;
            }
        }

        return type == TensorTypeFloat && values == 1 && scalarShape ? single : null;
    }

    private static string StringField(ReadOnlyMemory<byte> message, int number) =>
        Fields(message).FirstOrDefault(f => f.Number == number && f.IsLengthDelimited)?.Text ?? "";

    /// <summary>A message's fields in order, each with its tag and its bytes as they are (slices, not copies).</summary>
    private static List<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var offset = 0;
        while (offset < message.Length)
        {
            var rest = message.Span[offset..];
            var before = rest.Length;
            var tag = ProtoReader.Varint(ref rest);
            var length = (tag & 7) switch
            {
                0 => ProtoReader.VarintLength(rest),
                1 => 8,
                2 => (int)ProtoReader.Varint(ref rest),
                5 => 4,
                _ => throw new InvalidDataException($"protobuf wire type {tag & 7} is not used by ONNX"),
            };
            var start = offset + (before - rest.Length);
            fields.Add(new Field((uint)tag, message.Slice(start, length)));
            offset = start + length;
        }

        return fields;
    }

    private sealed record Field(uint Tag, ReadOnlyMemory<byte> Payload)
    {
        public int Number => (int)(Tag >> 3);

        public bool IsLengthDelimited => (Tag & 7) == 2;

        public string Text => System.Text.Encoding.UTF8.GetString(Payload.Span);
    }

    private static class ProtoReader
    {
        public static ulong Varint(ref ReadOnlySpan<byte> bytes)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[0];
                bytes = bytes[1..];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public static int VarintLength(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyInRange((byte)0, (byte)0x7F) + 1;
    }

    /// <summary>Writes protobuf fields: the few wire types this rewrite needs.</summary>
    private static int VarintSize(ulong value) => value < 0x80 ? 1 : 1 + VarintSize(value >> 7);

    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream;

        public ProtoWriter(int capacity) => _stream = new MemoryStream(capacity);

        /// <summary>Writes into <paramref name="target"/>, which must be exactly as long as what is written.</summary>
        public ProtoWriter(byte[] target) => _stream = new MemoryStream(target, 0, target.Length, writable: true, publiclyVisible: true);

        public void Raw(Field field)
        {
            Varint(field.Tag);
            if (field.IsLengthDelimited)
            {
                Varint((ulong)field.Payload.Length);
            }

            _stream.Write(field.Payload.Span);
        }

        public void Bytes(int number, ReadOnlySpan<byte> bytes)
        {
            Varint(((ulong)number << 3) | 2);
            Varint((ulong)bytes.Length);
            _stream.Write(bytes);
        }

        public void String(int number, string value) => Bytes(number, System.Text.Encoding.UTF8.GetBytes(value));

        /// <summary>A node's input and output names, in order.</summary>
        public void InputsAndOutputs(string[] inputs, string[] outputs)
        {
            foreach (var input in inputs)
            {
                String(NodeInput, input);
            }

            foreach (var output in outputs)
            {
                String(NodeOutput, output);
            }
        }

        public void Float(int number, float value)
        {
            Varint(((ulong)number << 3) | 5);
            Span<byte> bytes = stackalloc byte[4];
            BitConverter.TryWriteBytes(bytes, value);
            _stream.Write(bytes);
        }

        public void Varint(int number, ulong value)
        {
            Varint((ulong)number << 3);
            Varint(value);
        }

        /// <summary>What was written, without a copy.</summary>
        public ReadOnlySpan<byte> Written => _stream.GetBuffer().AsSpan(0, (int)_stream.Length);

        public byte[] ToArray() => _stream.ToArray();

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.WriteByte((byte)value);
        }
    }

    /// <summary>A float tensor held as raw little-endian data (how these models store their weights).</summary>
    private sealed record FloatTensor(long[] Dims, float[] Values)
    {
        public static FloatTensor? Parse(ReadOnlyMemory<byte> tensor)
        {
            var dims = new List<long>();
            var type = 0;
            ReadOnlyMemory<byte>? raw = null;
            foreach (var field in Fields(tensor))
            {
                var payload = field.Payload.Span;
                switch (field.Number)
                {
                    case TensorDims when field.IsLengthDelimited:
                        while (payload.Length > 0)
                        {
                            dims.Add((long)ProtoReader.Varint(ref payload));
                        }

                        break;
                    case TensorDims:
                        dims.Add((long)ProtoReader.Varint(ref payload));
                        break;
                    case TensorDataType:
                        type = (int)ProtoReader.Varint(ref payload);
                        break;
                    case TensorRawData:
                        raw = field.Payload;
                        break;
                }
            }

            var count = dims.Aggregate(1L, (product, dim) => product * dim);
            return type == TensorTypeFloat && raw is { } data && data.Length == count * 4
                ? new FloatTensor([.. dims], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data.Span).ToArray())
                : null;
        }
    }

    private sealed record Node(
        string Name, string OpType, List<string> Inputs, List<string> Outputs, float? ConstantValue, bool HasSubgraph, Dictionary<string, float> Floats,
        ReadOnlyMemory<byte>? TensorPayload, ReadOnlyMemory<byte> Bytes)
    {
        /// <summary>A Constant's value as floats (parsed when asked: most constants are never folded).</summary>
        public FloatTensor? Tensor => TensorPayload is { } payload ? FloatTensor.Parse(payload) : null;

        public static Node Parse(ReadOnlyMemory<byte> bytes)
        {
            string name = "", opType = "";
            List<string> inputs = [], outputs = [];
            float? constant = null;
            var subgraph = false;
            var floats = new Dictionary<string, float>();
            ReadOnlyMemory<byte>? tensorPayload = null;
            foreach (var field in Fields(bytes))
            {
                switch (field.Number)
                {
                    case NodeInput:
                        inputs.Add(field.Text);
                        break;
                    case NodeOutput:
                        outputs.Add(field.Text);
                        break;
                    case NodeName:
                        name = field.Text;
                        break;
                    case NodeOpType:
                        opType = field.Text;
                        break;
                    case NodeAttribute:
                        var attribute = Fields(field.Payload);
                        subgraph |= attribute.Any(f => f.Number is AttributeGraph or AttributeGraphs);
                        if (attribute.FirstOrDefault(f => f.Number == AttributeTensor) is { } tensor)
                        {
                            constant = ScalarOf(tensor.Payload, out _);
                            tensorPayload = tensor.Payload;
                        }

                        if (attribute.FirstOrDefault(f => f.Number == AttributeFloat) is { } value && attribute.FirstOrDefault(f => f.Number == AttributeName) is { } attributeName)
                        {
                            floats[attributeName.Text] = BitConverter.ToSingle(value.Payload.Span);
                        }

                        break;
                }
            }

            return new Node(name, opType, inputs, outputs, constant, subgraph, floats, tensorPayload, bytes);
        }
    }
}
