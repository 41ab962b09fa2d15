import type { Adapter } from "lowdb";
import type { IndexStorage } from "../store/index-storage.js";

/**
 * The same index storage, with writes of the documents `fails` names refused as a full disk
 * refuses them (`ENOSPC`); reads and the snapshot go through.
 */
export function failingWrites(storage: IndexStorage, fails: (name: string) => boolean): IndexStorage {
  return {
    ...storage,
    adapter<T>(name: string): Adapter<T> {
      const inner = storage.adapter<T>(name);
      return {
        read: () => inner.read(),
        write: async (data: T) => {
          if (fails(name))
            throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
          await inner.write(data);
        },
      };
    },
  };
}
