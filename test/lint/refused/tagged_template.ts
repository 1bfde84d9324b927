// expect: tagged-template
function tag(parts: Array<string>): i32 { return parts.length; }
export const n = tag`topic`;
