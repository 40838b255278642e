namespace EventStore.Domain;

/// <summary>Checks shared by every text field that ends up in PostgreSQL.</summary>
public static class Text
{
    /// <summary>PostgreSQL text cannot hold NUL, and other C0 controls in names only cause grief downstream.</summary>
    public static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>NUL cannot be stored in PostgreSQL text or jsonb; free text may hold any other character.</summary>
    public static bool HasNul(string value) => value.Contains('\0');

    /// <summary>Length as people count it: Unicode scalar values, so an emoji is one character, not two.</summary>
    public static int Length(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
