// Makes TorchSharp's native binding loadable on systems whose libstdc++ predates GCC 13 (Debian 12 ships
// GCC 12's, GLIBCXX_3.4.30). TorchSharp 0.107's libLibTorchSharp.so was built with GCC 13+, and the only
// thing it needs from GLIBCXX_3.4.32 is the marker symbol `std::ios_base_library_init()`, which GCC 13's
// <iostream> references (without calling it, and with no relocation) so that the loader insists on a
// libstdc++ that constructs the standard streams itself. LibTorch proper (libtorch_cpu.so) needs only
// GLIBCXX_3.4.26. So when the first load fails, this marks such version requirements WEAK in the build
// output's copy of the binding (one flag in its .gnu.version_r section), after checking that every symbol
// tied to that version is a known marker symbol that no relocation uses. It never weakens a version a
// real function needs, never touches the NuGet cache, and does nothing where the binding loads as shipped.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using CircuitLens.Tensors;

namespace CircuitLens.Bench.Torch;

internal static class LibTorchSharpLoader
{
    // Symbols that only mark a libstdc++ version (never called, never relocated).
    private static readonly HashSet<string> s_markerSymbols = ["_ZSt21ios_base_library_initv"];

    private const uint ShtRela = 4, ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Call before the first use of TorchSharp. Returns a note when it had to mark versions weak, else null.</summary>
    public static string? EnsureLoadable()
    {
        if (!OperatingSystem.IsLinux()) return null;
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string lib = Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native", "libLibTorchSharp.so");
        if (!File.Exists(lib) || NativeLibrary.TryLoad(lib, out _)) return null;
        var bytes = File.ReadAllBytes(lib);
        var weakened = WeakenMarkerOnlyVersions(bytes);
        if (weakened.Count == 0) return null;   // failed for another reason: TorchSharp's own message says which
        try { AtomicFile.WriteAllBytes(lib, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CircuitLensException($"{lib} does not load (this system's libstdc++ lacks {string.Join(", ", weakened)}) and cannot be marked in place: {e.Message}");
        }
        if (!NativeLibrary.TryLoad(lib, out _)) return null;
        return $"{lib}: marked libstdc++ version(s) {string.Join(", ", weakened)} weak (needed only by the marker symbol std::ios_base_library_init; this system's libstdc++ is older than GCC 13)";
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on every required version whose symbols are all marker symbols no relocation uses;
    /// returns the names of the versions it changed. <paramref name="elf"/> is a little-endian ELF64 file, edited in place.
    /// </summary>
    internal static List<string> WeakenMarkerOnlyVersions(byte[] elf)
    {
        var changed = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            return changed;
        var s = elf.AsSpan();
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(s[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);
        var sections = new List<(uint Type, long Offset, long Size, int Link, int Info)>();
        for (int i = 0; i < shnum; i++)
        {
            var h = s.Slice(checked((int)(shoff + (long)i * shentsize)), 64);
            sections.Add((BinaryPrimitives.ReadUInt32LittleEndian(h[4..]), BinaryPrimitives.ReadInt64LittleEndian(h[0x18..]),
                BinaryPrimitives.ReadInt64LittleEndian(h[0x20..]), BinaryPrimitives.ReadInt32LittleEndian(h[0x28..]), BinaryPrimitives.ReadInt32LittleEndian(h[0x2C..])));
        }
        int verneed = sections.FindIndex(x => x.Type == ShtGnuVerneed), versym = sections.FindIndex(x => x.Type == ShtGnuVersym);
        int dynsym = sections.FindIndex(x => x.Type == ShtDynsym);
        if (verneed < 0 || versym < 0 || dynsym < 0) return changed;

        string Str(int strtabSection, uint offset)
        {
            int start = checked((int)(sections[strtabSection].Offset + offset)), end = start;
            while (elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, start, end - start);
        }

        // which dynamic symbols each version index is required by, and which symbols relocations use
        int symCount = (int)(sections[dynsym].Size / 24);
        var symbolsOfVersion = new Dictionary<int, List<(int Index, string Name)>>();
        for (int i = 1; i < symCount; i++)
        {
            int version = BinaryPrimitives.ReadUInt16LittleEndian(s[checked((int)(sections[versym].Offset + 2L * i))..]) & 0x7fff;
            uint name = BinaryPrimitives.ReadUInt32LittleEndian(s[checked((int)(sections[dynsym].Offset + 24L * i))..]);
            if (!symbolsOfVersion.TryGetValue(version, out var list)) symbolsOfVersion[version] = list = [];
            list.Add((i, Str(sections[dynsym].Link, name)));
        }
        var relocated = new HashSet<int>();
        foreach (var rela in sections.Where(x => x.Type == ShtRela && x.Link == dynsym))
            for (long off = rela.Offset; off + 24 <= rela.Offset + rela.Size; off += 24)
                relocated.Add((int)(BinaryPrimitives.ReadUInt64LittleEndian(s[checked((int)(off + 8))..]) >> 32));

        // walk Verneed → Vernaux
        long need = sections[verneed].Offset;
        for (int n = 0; n < sections[verneed].Info; n++)
        {
            int cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[checked((int)(need + 2))..]);
            long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(s[checked((int)(need + 8))..]);
            for (int a = 0; a < cnt; a++)
            {
                int flagsAt = checked((int)(aux + 4));
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(s[flagsAt..]);
                int other = BinaryPrimitives.ReadUInt16LittleEndian(s[(flagsAt + 2)..]);
                string version = Str(sections[verneed].Link, BinaryPrimitives.ReadUInt32LittleEndian(s[checked((int)(aux + 8))..]));
                if ((flags & VerFlagWeak) == 0 && symbolsOfVersion.TryGetValue(other, out var users)
                    && users.All(u => s_markerSymbols.Contains(u.Name) && !relocated.Contains(u.Index)))
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(s[flagsAt..], (ushort)(flags | VerFlagWeak));
                    changed.Add(version);
                }
                aux += BinaryPrimitives.ReadUInt32LittleEndian(s[checked((int)(aux + 12))..]);
            }
            need += BinaryPrimitives.ReadUInt32LittleEndian(s[checked((int)(need + 12))..]);
        }
        return changed;
    }
}
