// The starting config written by "mirrord: Create Config". Plain JSON: mirrord's JSON
// parser takes no comments. Without a `target` the picker asks at each launch.
export const CONFIG_TEMPLATE = `{
  "feature": {
    "network": {
      "incoming": "mirror",
      "outgoing": true
    },
    "fs": "read",
    "env": true
  }
}
`;
