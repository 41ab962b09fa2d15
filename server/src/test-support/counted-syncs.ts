import { type AppendFile, openAppendFile } from "../store/append-file.js";

/** How many of a store's fdatasyncs ran on the event loop, and how many through the thread pool. */
export interface SyncCounts {
  onLoop: number;
  inPool: number;
}

/** Real segment files whose fdatasyncs are counted in `seen`: for `FileBlobStoreOptions.openAppendFile`. */
export function countingAppendFiles(seen: SyncCounts): (path: string) => Promise<AppendFile> {
  return async (path) => {
    const file = await openAppendFile(path);
    return {
      append: (chunks) => file.append(chunks),
      close: () => file.close(),
      datasync: () => {
        seen.inPool += 1;
        return file.datasync();
      },
      datasyncNow: () => {
        seen.onLoop += 1;
        file.datasyncNow!();
      },
    };
  };
}
